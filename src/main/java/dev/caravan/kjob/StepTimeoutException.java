package dev.caravan.kjob;

import org.apache.camel.Exchange;

/** The step ran longer than its {@code timeout} and was stopped. */
public class StepTimeoutException extends StepException {

  public StepTimeoutException(
      Exchange exchange, String stepName, String jobName, Integer exitCode, String logTail) {
    super(
        describe("timed out", stepName, jobName, logTail),
        exchange,
        stepName,
        jobName,
        exitCode,
        logTail);
  }

  @Override
  public StepStatus getStatus() {
    return StepStatus.TIMED_OUT;
  }
}
