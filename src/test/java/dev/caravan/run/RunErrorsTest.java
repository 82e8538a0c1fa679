package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.kjob.StepFailedException;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** What a run keeps of the exception that ended it: a processor's message, never a step's. */
class RunErrorsTest {

  @Test
  void keepsTheMessageOfAProcessorThatThrewEscapedAndCut() {
    assertThat(RunErrors.messageOf(new IllegalStateException("no notes\nfor 1.2")))
        .isEqualTo("IllegalStateException: no notes\\nfor 1.2");
    assertThat(RunErrors.messageOf(new IllegalArgumentException("x".repeat(5000))))
        .startsWith("IllegalArgumentException: xxx")
        .endsWith("x...(4026 more characters)");
    assertThat(RunErrors.messageOf(new NullPointerException()))
        .isEqualTo("java.lang.NullPointerException");
    assertThat(RunErrors.messageOf(null)).isNull();
  }

  @Test
  void keepsNothingOfAStepsFailureEvenWrapped() {
    Exchange exchange = new DefaultExchange(new DefaultCamelContext());
    StepFailedException failed = new StepFailedException(exchange, "test", "test-1", 3, "boom");

    assertThat(RunErrors.messageOf(failed)).isNull();
    assertThat(RunErrors.messageOf(new CamelExecutionException("wrapped", exchange, failed)))
        .isNull();
  }
}
