package dev.caravan.kjob.kubernetes;

import dev.caravan.kjob.StepNames;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the {@code batch/v1} Job of one step attempt. */
final class JobFactory {

  /** Event and standard input travel inside the Job object, which etcd caps at about 1.5 MB. */
  static final int MAX_INLINE_DATA_BYTES = 512 * 1024;

  static final String DATA_DIR = "/caravan";
  static final String EVENT_FILE = DATA_DIR + "/event.json";
  static final String STDIN_FILE = DATA_DIR + "/stdin";

  private static final String DATA_VOLUME = "caravan-data";
  private static final String INIT_SCRIPT =
      "if [ -n \"$CARAVAN_EVENT_JSON\" ]; then printf '%s' \"$CARAVAN_EVENT_JSON\" > "
          + EVENT_FILE
          + "; fi; printf '%s' \"$CARAVAN_INPUT_BASE64\" | base64 -d > "
          + STDIN_FILE;

  private final String helperImage;

  /**
   * @param helperImage image with {@code sh} and {@code base64} that writes the data files
   */
  JobFactory(String helperImage) {
    this.helperImage = helperImage;
  }

  Job build(StepRequest request, String namespace) {
    StepSpec spec = request.spec();
    String input = Base64.getEncoder().encodeToString(request.input());
    String event = request.eventJson() == null ? "" : request.eventJson();
    int inlineBytes = input.length() + event.getBytes(StandardCharsets.UTF_8).length;
    if (inlineBytes > MAX_INLINE_DATA_BYTES) {
      throw new IllegalArgumentException(
          "kjob:"
              + spec.stepName()
              + ": the event and standard input of a Kubernetes step must stay under "
              + MAX_INLINE_DATA_BYTES
              + " bytes (base64), got "
              + inlineBytes
              + "; pass large data through a workspace or an object store");
    }
    boolean hasInput = request.input().length > 0;
    boolean hasEvent = request.eventJson() != null;
    boolean needsDataFiles = hasInput || hasEvent;

    Map<String, String> labels = labels(request);
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(JobLabels.RUN_ID_ANNOTATION, request.runId());
    annotations.put(JobLabels.STEP_NAME_ANNOTATION, spec.stepName());
    annotations.put(JobLabels.FAN_OUT_ANNOTATION, request.fanOutIndex());

    JobBuilder job =
        new JobBuilder()
            .withNewMetadata()
            .withName(request.jobName())
            .withNamespace(namespace)
            .withLabels(labels)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withBackoffLimit(0)
            .withTtlSecondsAfterFinished(spec.ttlSecondsAfterFinished())
            .withActiveDeadlineSeconds(deadlineSeconds(spec))
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(labels)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withServiceAccountName(spec.serviceAccount())
            .withNodeSelector(spec.nodeSelector().isEmpty() ? null : spec.nodeSelector())
            .withContainers(stepContainer(request, hasInput, needsDataFiles))
            .endSpec()
            .endTemplate()
            .endSpec();
    if (needsDataFiles) {
      job.editSpec()
          .editTemplate()
          .editSpec()
          .addNewVolume()
          .withName(DATA_VOLUME)
          .withNewEmptyDir()
          .endEmptyDir()
          .endVolume()
          .withInitContainers(initContainer(event, input))
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    return job.build();
  }

  private static Map<String, String> labels(StepRequest request) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobLabels.MANAGED_BY, JobLabels.MANAGED_BY_VALUE);
    labels.put(JobLabels.RUN, StepNames.labelValue(request.runId()));
    labels.put(JobLabels.STEP, StepNames.labelValue(request.stepName()));
    labels.put(JobLabels.ATTEMPT, Integer.toString(request.attempt()));
    if (request.eventId() != null) {
      labels.put(JobLabels.EVENT, StepNames.labelValue(request.eventId()));
    }
    return labels;
  }

  private static Long deadlineSeconds(StepSpec spec) {
    if (spec.timeout().isZero()) {
      return null;
    }
    return Math.max(1, (spec.timeout().toMillis() + 999) / 1000);
  }

  private static Container stepContainer(
      StepRequest request, boolean hasInput, boolean needsDataFiles) {
    StepSpec spec = request.spec();
    List<EnvVar> env = new ArrayList<>();
    spec.env().forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    request.caravanEnv().forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    if (request.eventJson() != null) {
      env.add(new EnvVar("CARAVAN_EVENT_FILE", EVENT_FILE, null));
    }
    List<EnvFromSource> envFrom =
        spec.envFromSecrets().stream()
            .map(
                secret ->
                    new EnvFromSourceBuilder().withNewSecretRef().withName(secret).endSecretRef())
            .map(EnvFromSourceBuilder::build)
            .toList();
    ContainerBuilder container =
        new ContainerBuilder()
            .withName(JobLabels.STEP_CONTAINER)
            .withImage(spec.image())
            .withImagePullPolicy(spec.imagePullPolicy())
            .withCommand(commandLine(spec, hasInput))
            .withEnv(env)
            .withEnvFrom(envFrom)
            .withWorkingDir(spec.workingDir())
            .withResources(resources(spec));
    if (needsDataFiles) {
      container.withVolumeMounts(dataMount(true));
    }
    return container.build();
  }

  /**
   * The step's command line. With standard input, a fixed wrapper redirects it from the data file;
   * the script is passed to the wrapper as an argument ({@code $0}), never spliced into its text.
   */
  private static List<String> commandLine(StepSpec spec, boolean hasInput) {
    List<String> line = new ArrayList<>();
    if (spec.hasScript()) {
      if (hasInput) {
        line.addAll(
            List.of("/bin/sh", "-c", "exec /bin/sh -c \"$0\" < " + STDIN_FILE, spec.script()));
      } else {
        line.addAll(List.of("/bin/sh", "-c", spec.script()));
      }
      return line;
    }
    if (hasInput) {
      line.addAll(List.of("/bin/sh", "-c", "exec \"$@\" < " + STDIN_FILE, "caravan-step"));
    }
    line.addAll(spec.command());
    line.addAll(spec.args());
    return line;
  }

  private Container initContainer(String event, String input) {
    return new ContainerBuilder()
        .withName("caravan-data")
        .withImage(helperImage)
        .withCommand("/bin/sh", "-c", INIT_SCRIPT)
        .addNewEnv()
        .withName("CARAVAN_EVENT_JSON")
        .withValue(event)
        .endEnv()
        .addNewEnv()
        .withName("CARAVAN_INPUT_BASE64")
        .withValue(input)
        .endEnv()
        .withVolumeMounts(dataMount(false))
        .build();
  }

  private static VolumeMount dataMount(boolean readOnly) {
    return new VolumeMountBuilder()
        .withName(DATA_VOLUME)
        .withMountPath(DATA_DIR)
        .withReadOnly(readOnly)
        .build();
  }

  private static ResourceRequirements resources(StepSpec spec) {
    Map<String, Quantity> requests = new LinkedHashMap<>();
    Map<String, Quantity> limits = new LinkedHashMap<>();
    putQuantity(requests, "cpu", spec.cpuRequest());
    putQuantity(requests, "memory", spec.memoryRequest());
    putQuantity(limits, "cpu", spec.cpuLimit());
    putQuantity(limits, "memory", spec.memoryLimit());
    if (requests.isEmpty() && limits.isEmpty()) {
      return null;
    }
    return new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
  }

  private static void putQuantity(Map<String, Quantity> target, String name, String value) {
    if (value != null) {
      target.put(name, new Quantity(value));
    }
  }
}
