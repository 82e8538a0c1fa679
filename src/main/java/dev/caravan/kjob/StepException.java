package dev.caravan.kjob;

import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;

/** A step that did not succeed; carries what the step left behind. */
public abstract class StepException extends CamelExchangeException {

  private final String stepName;
  private final String jobName;
  private final Integer exitCode;
  private final String logTail;

  protected StepException(
      String message,
      Exchange exchange,
      String stepName,
      String jobName,
      Integer exitCode,
      String logTail) {
    super(message, exchange);
    this.stepName = stepName;
    this.jobName = jobName;
    this.exitCode = exitCode;
    this.logTail = logTail;
  }

  public String getStepName() {
    return stepName;
  }

  public String getJobName() {
    return jobName;
  }

  /** The exit code, or {@code null} when the step never produced one. */
  public Integer getExitCode() {
    return exitCode;
  }

  /** The last lines of the step's output. */
  public String getLogTail() {
    return logTail;
  }

  public abstract StepStatus getStatus();

  static String describe(String what, String stepName, String jobName, String logTail) {
    String message = "Step '" + stepName + "' (" + jobName + ") " + what;
    return logTail.isEmpty() ? message : message + "; last lines of its output:\n" + logTail;
  }
}
