package dev.caravan.kjob;

import org.apache.camel.Exchange;

/** The step was stopped from outside (its Job or process was deleted). */
public class StepCanceledException extends StepException {

  public StepCanceledException(
      Exchange exchange, String stepName, String jobName, Integer exitCode, String logTail) {
    super(
        describe("was canceled", stepName, jobName, logTail),
        exchange,
        stepName,
        jobName,
        exitCode,
        logTail);
  }

  @Override
  public StepStatus getStatus() {
    return StepStatus.CANCELED;
  }
}
