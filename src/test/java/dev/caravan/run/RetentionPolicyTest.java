package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetentionPolicyTest {

  private static RetentionPolicy from(Map<String, String> properties) {
    return RetentionPolicy.from(key -> Optional.ofNullable(properties.get(key)));
  }

  @Test
  void isOnByDefaultWithTheDocumentedLimits() {
    RetentionPolicy policy = from(Map.of());

    assertThat(policy).isEqualTo(RetentionPolicy.DEFAULT);
    assertThat(policy.enabled()).isTrue();
    assertThat(policy.maxAge()).isEqualTo(Duration.ofDays(30));
    assertThat(policy.maxRunsPerPipeline()).isEqualTo(1000);
    assertThat(policy.maxEvents()).isEqualTo(100_000);
    assertThat(policy.interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(policy.batchSize()).isEqualTo(500);
  }

  @Test
  void readsEveryKeyAndZeroSwitchesALimitOff() {
    RetentionPolicy policy =
        from(
            Map.of(
                "caravan.retention.enabled", "FALSE",
                "caravan.retention.max-age", "0",
                "caravan.retention.max-runs-per-pipeline", "0",
                "caravan.retention.max-events", " 20 ",
                "caravan.retention.interval", "250ms",
                "caravan.retention.batch-size", "7",
                "caravan.retention.unknown", "ignored"));

    assertThat(policy)
        .isEqualTo(new RetentionPolicy(false, Duration.ZERO, 0, 20, Duration.ofMillis(250), 7));
  }

  @Test
  void blankValuesKeepTheDefaults() {
    assertThat(from(Map.of("caravan.retention.max-age", " ", "caravan.retention.enabled", "")))
        .isEqualTo(RetentionPolicy.DEFAULT);
  }

  @ParameterizedTest
  @CsvSource({"30d,P30D", "12h,PT12H", "1m,PT1M", "90s,PT90S", "500ms,PT0.5S", "1d12h,PT36H"})
  void parsesDurationsWithUnits(String text, Duration expected) {
    assertThat(RetentionPolicy.parseDuration("caravan.retention.max-age", text))
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"P30D", "PT1M", "pt10s"})
  void parsesIsoDurations(String text) {
    assertThat(RetentionPolicy.parseDuration("caravan.retention.interval", text))
        .isEqualTo(Duration.parse(text.toUpperCase()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"30", "a month", "30 d", "-1d", "d", "1w", "P1Y"})
  void refusesWhatIsNotADurationNamingTheKey(String text) {
    assertThatThrownBy(() -> from(Map.of("caravan.retention.max-age", text)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid caravan.retention.max-age="
                + text
                + ": expected a duration such as 30d, 12h, 1m or 500ms");
  }

  @Test
  void refusesBadCountsSwitchesAndIntervalsNamingTheKey() {
    assertThatThrownBy(() -> from(Map.of("caravan.retention.max-events", "lots")))
        .hasMessage("Invalid caravan.retention.max-events=lots: expected a whole number");
    assertThatThrownBy(() -> from(Map.of("caravan.retention.max-runs-per-pipeline", "-1")))
        .hasMessage("caravan.retention.max-runs-per-pipeline must not be negative");
    assertThatThrownBy(() -> from(Map.of("caravan.retention.enabled", "yes")))
        .hasMessage("Invalid caravan.retention.enabled=yes: expected true or false");
    assertThatThrownBy(() -> from(Map.of("caravan.retention.interval", "0")))
        .hasMessage("caravan.retention.interval must be positive, e.g. 1m");
    assertThatThrownBy(() -> from(Map.of("caravan.retention.batch-size", "0")))
        .hasMessage("caravan.retention.batch-size must be between 1 and 10000, got 0");
    assertThatThrownBy(() -> from(Map.of("caravan.retention.batch-size", "10001")))
        .hasMessageStartingWith("caravan.retention.batch-size must be between 1 and 10000");
  }
}
