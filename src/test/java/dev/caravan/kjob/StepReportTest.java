package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

class StepReportTest {

  private final CamelContext camel = new DefaultCamelContext();

  private Exchange item(int index, String name) {
    Exchange exchange = new DefaultExchange(camel);
    exchange.setProperty(ExchangePropertyKey.SPLIT_INDEX, index);
    if (name != null) {
      exchange.getMessage().setHeader(StepReport.ITEM, name);
    }
    return exchange;
  }

  @Test
  void reportsEveryItemInDeclaredOrderWithTheLogTailsOfFailures() {
    StepReport report = new StepReport();
    Exchange passed = item(0, "17");
    Exchange caught = item(1, "21");
    caught.setProperty(
        ExchangePropertyKey.EXCEPTION_CAUGHT,
        new StepFailedException(caught, "test", "test-abc-1", 3, "tested\nboom"));
    caught.getMessage().setHeader(StepReport.PASSED, false);
    Exchange uncaught = item(2, null);
    uncaught.setException(new IllegalArgumentException("not a version"));
    Exchange timedOut = item(3, "25");
    timedOut.setException(new StepTimeoutException(timedOut, "test", "test-def-1", null, "slow"));

    // parallel items may arrive in any order
    Exchange result = report.aggregate(null, uncaught);
    result = report.aggregate(result, timedOut);
    result = report.aggregate(result, passed);
    result = report.aggregate(result, caught);
    report.onCompletion(result);

    assertThat(result.getException()).isNull();
    assertThat(result.getMessage().getHeader(StepReport.PASSED)).isEqualTo(false);
    assertThat(result.getMessage().getHeader(StepReport.FAILED)).isEqualTo("21, 2, 25");
    assertThat(result.getMessage().getHeader(StepReport.ITEM)).isNull();
    assertThat(result.getProperty(ExchangePropertyKey.SPLIT_INDEX)).isNull();
    assertThat(result.getMessage().getBody(String.class))
        .isEqualTo(
            """
            1 of 4 passed; failed: 21, 2, 25
            17: passed
            21: FAILED (exit code 3)
                tested
                boom
            2: FAILED (IllegalArgumentException: not a version)
            25: FAILED (TIMED_OUT)
                slow
            """);
    @SuppressWarnings("unchecked")
    List<StepReport.Item> items = result.getProperty(StepReport.ITEMS, List.class);
    assertThat(items).extracting(StepReport.Item::exitCode).containsExactly(0, 3, null, null);
  }

  @Test
  void allPassed() {
    StepReport report = new StepReport();
    Exchange result = report.aggregate(null, item(0, "lint"));
    result = report.aggregate(result, item(1, "unit-tests"));
    report.onCompletion(result);

    assertThat(result.getMessage().getHeader(StepReport.PASSED)).isEqualTo(true);
    assertThat(result.getMessage().getHeader(StepReport.FAILED)).isEqualTo("");
    assertThat(result.getMessage().getBody(String.class))
        .isEqualTo("2 of 2 passed\nlint: passed\nunit-tests: passed\n");
  }
}
