package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class StepSpecTest {

  @ParameterizedTest
  @CsvSource({
    "30s,PT30S",
    "5m,PT5M",
    "1h30m,PT1H30M",
    "1m30s,PT1M30S",
    "250ms,PT0.25S",
    "1500,PT1.5S",
    "0,PT0S"
  })
  void parsesDurations(String text, Duration expected) {
    assertThat(StepSpec.parseTimeout(text, "timeout")).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"later", "soon", "5 minutes", "m", "1x", "-5s"})
  void rejectsWhatIsNotADurationNamingTheOption(String text) {
    assertThatThrownBy(() -> StepSpec.parseTimeout(text, "timeout"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid kjob option timeout=" + text);
  }
}
