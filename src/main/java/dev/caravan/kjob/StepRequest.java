package dev.caravan.kjob;

import java.util.Map;

/**
 * One execution of one step.
 *
 * @param spec the resolved options
 * @param runId the run the step belongs to
 * @param fanOutIndex position within a split or multicast, or empty
 * @param attempt 1 for the first try, +1 for each Camel redelivery
 * @param jobName deterministic name of this attempt
 * @param eventId id of the event that started the run, or {@code null}
 * @param caravanEnv the {@code CARAVAN_*} variables (event attributes, run, step)
 * @param eventJson the event as JSON, or {@code null} when there is none
 * @param input the step's standard input (the exchange body)
 */
public record StepRequest(
    StepSpec spec,
    String runId,
    String fanOutIndex,
    int attempt,
    String jobName,
    String eventId,
    Map<String, String> caravanEnv,
    String eventJson,
    byte[] input) {

  public StepRequest {
    caravanEnv = Map.copyOf(caravanEnv);
    input = input == null ? new byte[0] : input;
  }

  public String stepName() {
    return spec.stepName();
  }

  /** The same step as another attempt (its own Job name). */
  public StepRequest withAttempt(int otherAttempt) {
    return new StepRequest(
        spec,
        runId,
        fanOutIndex,
        otherAttempt,
        StepNames.jobName(runId, spec.stepName(), fanOutIndex, otherAttempt),
        eventId,
        caravanEnv,
        eventJson,
        input);
  }
}
