package dev.caravan.kjob;

import org.apache.camel.Exchange;

/**
 * The step exited with a non-zero code, or never ran (its process or Job could not start: no exit
 * code, the reason in its log).
 */
public class StepFailedException extends StepException {

  public StepFailedException(
      Exchange exchange, String stepName, String jobName, Integer exitCode, String logTail) {
    super(
        describe(
            exitCode == null ? "failed without an exit code" : "failed with exit code " + exitCode,
            stepName,
            jobName,
            logTail),
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
