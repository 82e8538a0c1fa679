package dev.caravan.kjob;

import org.apache.camel.spi.Metadata;

/** Headers read and written by the {@code kjob} component. */
public final class KjobConstants {

  // What the step receives

  @Metadata(
      description =
          "Id of the run the step belongs to. Set by the event consumer; when absent the"
              + " exchange's correlation id (or exchange id) is used and stored in this header.",
      javaType = "String")
  public static final String RUN_ID = "CaravanRunId";

  @Metadata(
      description =
          "A run whose succeeded steps this run reuses (a replay that keeps succeeded steps): a"
              + " step that succeeded there is not run again; set by Caravan's run layer.",
      javaType = "String")
  public static final String REUSE_RUN = "CaravanReuseRun";

  @Metadata(
      description =
          "Fan-out index of the step within its run. Defaults to the split or multicast index;"
              + " set it explicitly for nested splits.",
      javaType = "String")
  public static final String FAN_OUT_INDEX = "CaravanFanOutIndex";

  @Metadata(
      description =
          "The whole event (CloudEvents JSON string, or an object serialised to JSON) that the"
              + " step receives as the file named by CARAVAN_EVENT_FILE.",
      javaType = "Object")
  public static final String EVENT = "CaravanEvent";

  @Metadata(description = "Event id, passed to the step as CARAVAN_EVENT_ID.", javaType = "String")
  public static final String EVENT_ID = "CaravanEventId";

  @Metadata(
      description = "Event source, passed to the step as CARAVAN_EVENT_SOURCE.",
      javaType = "String")
  public static final String EVENT_SOURCE = "CaravanEventSource";

  @Metadata(
      description = "Event type, passed to the step as CARAVAN_EVENT_TYPE.",
      javaType = "String")
  public static final String EVENT_TYPE = "CaravanEventType";

  @Metadata(
      description = "Event subject, passed to the step as CARAVAN_EVENT_SUBJECT.",
      javaType = "String")
  public static final String EVENT_SUBJECT = "CaravanEventSubject";

  @Metadata(
      description = "Event time, passed to the step as CARAVAN_EVENT_TIME.",
      javaType = "String")
  public static final String EVENT_TIME = "CaravanEventTime";

  @Metadata(
      description =
          "Event labels (set by the gateways). With checkout=true the step's repository comes from"
              + " the label cloneUrl and its revision from commit, else ref.",
      javaType = "java.util.Map<String, String>")
  public static final String EVENT_LABELS = "CaravanEventLabels";

  // Per-exchange overrides of endpoint options

  @Metadata(description = "Overrides the image option.", javaType = "String")
  public static final String IMAGE = "CaravanImage";

  @Metadata(description = "Overrides the script option.", javaType = "String")
  public static final String SCRIPT = "CaravanScript";

  @Metadata(
      description = "Overrides the command option (comma-separated string or List).",
      javaType = "Object")
  public static final String COMMAND = "CaravanCommand";

  @Metadata(
      description = "Overrides the args option (comma-separated string or List).",
      javaType = "Object")
  public static final String ARGS = "CaravanArgs";

  @Metadata(
      description = "Extra environment variables, merged over the env.NAME options.",
      javaType = "java.util.Map<String, String>")
  public static final String ENV = "CaravanEnv";

  @Metadata(description = "Overrides the envFromSecret option.", javaType = "String")
  public static final String ENV_FROM_SECRET = "CaravanEnvFromSecret";

  @Metadata(description = "Overrides the workingDir option.", javaType = "String")
  public static final String WORKING_DIR = "CaravanWorkingDir";

  @Metadata(description = "Overrides the namespace option.", javaType = "String")
  public static final String NAMESPACE = "CaravanNamespace";

  @Metadata(description = "Overrides the serviceAccount option.", javaType = "String")
  public static final String SERVICE_ACCOUNT = "CaravanServiceAccount";

  @Metadata(description = "Overrides the cpuRequest option.", javaType = "String")
  public static final String CPU_REQUEST = "CaravanCpuRequest";

  @Metadata(description = "Overrides the cpuLimit option.", javaType = "String")
  public static final String CPU_LIMIT = "CaravanCpuLimit";

  @Metadata(description = "Overrides the memoryRequest option.", javaType = "String")
  public static final String MEMORY_REQUEST = "CaravanMemoryRequest";

  @Metadata(description = "Overrides the memoryLimit option.", javaType = "String")
  public static final String MEMORY_LIMIT = "CaravanMemoryLimit";

  @Metadata(description = "Overrides the timeout option.", javaType = "String")
  public static final String TIMEOUT = "CaravanTimeout";

  @Metadata(description = "Overrides the ttlSecondsAfterFinished option.", javaType = "Integer")
  public static final String TTL_SECONDS_AFTER_FINISHED = "CaravanTtlSecondsAfterFinished";

  @Metadata(
      description = "Overrides the nodeSelector.KEY options.",
      javaType = "java.util.Map<String, String>")
  public static final String NODE_SELECTOR = "CaravanNodeSelector";

  @Metadata(description = "Overrides the imagePullPolicy option.", javaType = "String")
  public static final String IMAGE_PULL_POLICY = "CaravanImagePullPolicy";

  @Metadata(description = "Overrides the executor option.", javaType = "String")
  public static final String EXECUTOR = "CaravanExecutor";

  @Metadata(description = "Overrides the checkout option.", javaType = "Boolean")
  public static final String CHECKOUT = "CaravanCheckout";

  @Metadata(
      description = "Overrides the repository option (and the event label cloneUrl).",
      javaType = "String")
  public static final String REPOSITORY = "CaravanRepository";

  @Metadata(
      description = "Overrides the revision option (and the event labels commit and ref).",
      javaType = "String")
  public static final String REVISION = "CaravanRevision";

  @Metadata(description = "Overrides the workspace option.", javaType = "Boolean")
  public static final String WORKSPACE = "CaravanWorkspace";

  @Metadata(
      description = "Overrides the automountServiceAccountToken option.",
      javaType = "Boolean")
  public static final String AUTOMOUNT_SERVICE_ACCOUNT_TOKEN =
      "CaravanAutomountServiceAccountToken";

  @Metadata(description = "Overrides the enableServiceLinks option.", javaType = "Boolean")
  public static final String ENABLE_SERVICE_LINKS = "CaravanEnableServiceLinks";

  @Metadata(description = "Overrides the seccompProfile option.", javaType = "String")
  public static final String SECCOMP_PROFILE = "CaravanSeccompProfile";

  @Metadata(description = "Overrides the allowPrivilegeEscalation option.", javaType = "Boolean")
  public static final String ALLOW_PRIVILEGE_ESCALATION = "CaravanAllowPrivilegeEscalation";

  @Metadata(
      description = "Overrides the capabilitiesAdd option (comma-separated string or List).",
      javaType = "Object")
  public static final String CAPABILITIES_ADD = "CaravanCapabilitiesAdd";

  @Metadata(description = "Overrides the clusterNetwork option.", javaType = "Boolean")
  public static final String CLUSTER_NETWORK = "CaravanClusterNetwork";

  // What the step produces

  @Metadata(
      description = "SUCCEEDED, FAILED, TIMED_OUT or CANCELED.",
      javaType = "dev.caravan.kjob.StepStatus")
  public static final String STEP_STATUS = "CaravanStepStatus";

  @Metadata(description = "Exit code of the step's process or container.", javaType = "Integer")
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
}
