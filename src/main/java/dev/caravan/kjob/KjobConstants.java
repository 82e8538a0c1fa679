package dev.caravan.kjob;

import org.apache.camel.spi.Metadata;

/**
 * Headers and exchange properties read and written by the {@code kjob} component.
 *
 * <p><b>Per-exchange options.</b> Every endpoint option except the step name can be overridden for
 * one exchange by the header {@code Caravan} + the option's name with its first letter in upper
 * case (see {@link #overrideHeader(String)}): {@code CaravanImage}, {@code CaravanScript}, {@code
 * CaravanTimeout}, {@code CaravanTtlSecondsAfterFinished}, ... A blank value overrides nothing. The
 * options that are comma-separated lists (command, args, envFromSecret, capabilitiesAdd) also take
 * a {@code List}. The two map options differ: {@code CaravanEnv} (a Map) is merged over the {@code
 * env.NAME} options, {@code CaravanNodeSelector} (a Map) replaces the {@code nodeSelector.KEY}
 * options. A header value the option does not accept fails the exchange with an {@link
 * IllegalArgumentException} naming the header.
 */
public final class KjobConstants {

  /** Prefix of the header that overrides an option for one exchange. */
  public static final String OVERRIDE_PREFIX = "Caravan";

  // What the step receives

  @Metadata(
      description =
          "Id of the run the step belongs to. Set by whoever starts the run; when absent the"
              + " exchange's correlation id (or exchange id) is used and stored in this header.",
      javaType = "String")
  public static final String RUN_ID = "CaravanRunId";

  @Metadata(
      description =
          "Fan-out index of the step within its run, part of its Job name. Defaults to the split"
              + " index, else the multicast index; set it yourself in nested splits, for example to"
              + " ${exchangeProperty.outer}-${exchangeProperty.CamelSplitIndex}.",
      javaType = "String")
  public static final String FAN_OUT_INDEX = "CaravanFanOutIndex";

  @Metadata(
      description =
          "Id of an earlier run whose succeeded steps this run reuses instead of running them again"
              + " (a replay that keeps succeeded steps).",
      javaType = "String")
  public static final String REUSE_RUN = "CaravanReuseRun";

  /**
   * Exchange property (not a header) holding the {@link StepEvent} of the run: the step's {@code
   * CARAVAN_EVENT_*} variables and event file, and the repository of checkout=true, come from it
   * and from nothing else. Set by whoever starts the run (the event consumer does).
   */
  public static final String STEP_EVENT = "CaravanStepEvent";

  // What the step produces

  @Metadata(
      description = "SUCCEEDED, FAILED, TIMED_OUT or CANCELED.",
      javaType = "dev.caravan.kjob.StepStatus")
  public static final String STEP_STATUS = "CaravanStepStatus";

  @Metadata(
      description = "Exit code of the step's process or container; null when there was none.",
      javaType = "Integer")
  public static final String EXIT_CODE = "CaravanExitCode";

  @Metadata(
      description = "Name of the Kubernetes Job (or of the local process) that ran the step.",
      javaType = "String")
  public static final String JOB_NAME = "CaravanJobName";

  @Metadata(description = "How long the step ran, in milliseconds.", javaType = "Long")
  public static final String STEP_DURATION = "CaravanStepDuration";

  @Metadata(description = "When the step started.", javaType = "java.time.Instant")
  public static final String STEP_STARTED = "CaravanStepStarted";

  @Metadata(description = "When the step ended.", javaType = "java.time.Instant")
  public static final String STEP_ENDED = "CaravanStepEnded";

  private KjobConstants() {}

  /**
   * The header that overrides an endpoint option for one exchange: {@code Caravan} + the option's
   * name with its first letter in upper case ({@code timeout}: {@code CaravanTimeout}).
   */
  public static String overrideHeader(String option) {
    return OVERRIDE_PREFIX + Character.toUpperCase(option.charAt(0)) + option.substring(1);
  }
}
