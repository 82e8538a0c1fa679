package dev.caravan.kjob;

import java.time.Instant;

/**
 * What a journal remembers of one attempt of a step.
 *
 * @param executor where the attempt ran: {@code local} or {@code kubernetes} (see {@link
 *     ExecutorType#optionValue()})
 * @param status {@code null} while the step is still running
 * @param output the stored log, or {@code null} where it was not read (lists of steps)
 */
public record StepRecord(
    int attempt,
    String executor,
    String jobName,
    String namespace,
    StepStatus status,
    Integer exitCode,
    Instant started,
    Instant ended,
    String output) {

  /** Where the attempt ran; {@link ExecutorType#LOCAL} unless it names Kubernetes. */
  public ExecutorType executorType() {
    return "kubernetes".equalsIgnoreCase(executor) ? ExecutorType.KUBERNETES : ExecutorType.LOCAL;
  }

  public boolean hasEnded() {
    return status != null;
  }

  public StepResult toResult() {
    return new StepResult(jobName, status, exitCode, output == null ? "" : output, started, ended);
  }
}
