package dev.caravan.kjob;

import org.apache.camel.Exchange;

/** The step exited with a non-zero code. */
public class StepFailedException extends StepException {

  public StepFailedException(
      Exchange exchange, String stepName, String jobName, Integer exitCode, String logTail) {
    super(
        describe("failed with exit code " + exitCode, stepName, jobName, logTail),
        exchange,
        stepName,
        jobName,
        exitCode,
        logTail);
  }

  @Override
  public StepStatus getStatus() {
    return StepStatus.FAILED;
  }
}
