package dev.caravan.kjob.kubernetes;

import dev.caravan.kjob.CheckoutPolicy;
import dev.caravan.kjob.PodSecurity;
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
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
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

  /** Where the run's workspace is mounted, also its path in {@code CARAVAN_WORKSPACE}. */
  static final String WORKSPACE_DIR = "/workspace";

  /** Where checked-out sources go when the step sets no workingDir. */
  static final String CHECKOUT_DIR = StepSpec.DEFAULT_CHECKOUT_DIR;

  static final String CHECKOUT_CONTAINER = "caravan-checkout";
  static final String WORKSPACE_VOLUME = "caravan-workspace";
  static final String SOURCE_VOLUME = "caravan-source";
  static final String WORKSPACE_CLAIM_PREFIX = "caravan-ws-";

  /**
   * Fixed: repository, revision and directory come from environment variables. A shallow fetch of
   * the one revision, then a detached checkout; an existing checkout in a workspace is moved. Any
   * owner of the directory is trusted (the workspace may have been written by another user). The
   * fetch may use the repository's own transport only ({@code CARAVAN_GIT_PROTOCOL}, which
   * CheckoutPolicy checked; every other one, ext:: that runs commands included, is refused) and
   * follows no redirects.
   */
  static final String CHECKOUT_SCRIPT =
      "set -e; mkdir -p \"$CARAVAN_CHECKOUT_DIR\"; cd \"$CARAVAN_CHECKOUT_DIR\";"
          + " git -c safe.directory='*' init -q .;"
          + " git -c safe.directory='*' -c protocol.allow=never"
          + " -c \"protocol.$CARAVAN_GIT_PROTOCOL.allow=always\" -c http.followRedirects=false"
          + " fetch -q --depth 1 -- \"$CARAVAN_REPOSITORY\" \"$CARAVAN_REVISION\";"
          + " git -c safe.directory='*' checkout -q FETCH_HEAD";

  private final String helperImage;
  private final String gitImage;

  /**
   * @param helperImage image with {@code sh} and {@code base64} that writes the data files
   * @param gitImage image with {@code sh} and {@code git} that checks out sources
   */
  JobFactory(String helperImage, String gitImage) {
    this.helperImage = helperImage;
    this.gitImage = gitImage;
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
    Volumes volumes = new Volumes(request, needsDataFiles, event, input);

    Map<String, String> labels = labels(request);
    PodSecurity security = spec.podSecurity();
    Map<String, String> podLabels = new LinkedHashMap<>(labels);
    if (security.clusterNetwork()) {
      podLabels.put(JobLabels.CLUSTER_NETWORK, JobLabels.CLUSTER_NETWORK_VALUE);
    }
    Container step = stepContainer(request, hasInput, volumes);
    harden(step, security);
    volumes.initContainers.forEach(init -> harden(init, security));
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
            .withTtlSecondsAfterFinished(spec.options().getTtlSecondsAfterFinished())
            .withActiveDeadlineSeconds(deadlineSeconds(spec))
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(podLabels)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withServiceAccountName(spec.options().getServiceAccount())
            .withAutomountServiceAccountToken(
                security.mountsToken(spec.options().getServiceAccount()))
            .withEnableServiceLinks(security.enableServiceLinks())
            .withNewSecurityContext()
            .withNewSeccompProfile()
            .withType(security.seccompProfile())
            .endSeccompProfile()
            .endSecurityContext()
            .withNodeSelector(
                spec.options().getNodeSelector().isEmpty()
                    ? null
                    : spec.options().getNodeSelector())
            .withContainers(step)
            .withInitContainers(volumes.initContainers.isEmpty() ? null : volumes.initContainers)
            .withVolumes(volumes.volumes.isEmpty() ? null : volumes.volumes)
            .endSpec()
            .endTemplate()
            .endSpec();
    return job.build();
  }

  /**
   * Every container of the pod, Caravan's init containers too: no privilege escalation, every
   * capability dropped, then those the step asks for added back.
   */
  private static void harden(Container container, PodSecurity security) {
    container.setSecurityContext(
        new SecurityContextBuilder()
            .withAllowPrivilegeEscalation(security.allowPrivilegeEscalation())
            .withNewCapabilities()
            .withDrop("ALL")
            .withAdd(security.capabilitiesAdd().isEmpty() ? null : security.capabilitiesAdd())
            .endCapabilities()
            .build());
  }

  /** The name of the run's workspace claim: {@code caravan-ws-<hash of run id>}. */
  static String workspaceClaimName(String runId) {
    return WORKSPACE_CLAIM_PREFIX + StepNames.runHash(runId);
  }

  /**
   * The pod's volumes and init containers, and what the step container mounts: the data files
   * (event, stdin), the run's workspace claim at {@code /workspace}, and for a checkout the sources
   * at the working directory (inside the workspace when it lies under {@code /workspace}, else an
   * {@code emptyDir}).
   */
  private final class Volumes {
    final List<Volume> volumes = new ArrayList<>();
    final List<Container> initContainers = new ArrayList<>();
    final List<VolumeMount> stepMounts = new ArrayList<>();
    final String workingDir;

    Volumes(StepRequest request, boolean needsDataFiles, String event, String input) {
      StepSpec spec = request.spec();
      if (needsDataFiles) {
        volumes.add(emptyDir(DATA_VOLUME));
        initContainers.add(initContainer(event, input));
        stepMounts.add(dataMount(true));
      }
      List<VolumeMount> checkoutMounts = new ArrayList<>();
      if (spec.options().isWorkspace()) {
        volumes.add(
            new VolumeBuilder()
                .withName(WORKSPACE_VOLUME)
                .withNewPersistentVolumeClaim()
                .withClaimName(workspaceClaimName(request.runId()))
                .endPersistentVolumeClaim()
                .build());
        VolumeMount mount = mount(WORKSPACE_VOLUME, WORKSPACE_DIR);
        stepMounts.add(mount);
        checkoutMounts.add(mount);
      }
      String checkoutDir = null;
      if (spec.options().isCheckout()) {
        checkoutDir =
            withoutTrailingSlash(
                spec.options().getWorkingDir() == null
                    ? CHECKOUT_DIR
                    : spec.options().getWorkingDir());
        if (!spec.options().isWorkspace() || !isUnder(checkoutDir, WORKSPACE_DIR)) {
          volumes.add(emptyDir(SOURCE_VOLUME));
          VolumeMount mount = mount(SOURCE_VOLUME, checkoutDir);
          stepMounts.add(mount);
          checkoutMounts.add(mount);
        }
        initContainers.add(checkoutContainer(spec, checkoutDir, checkoutMounts));
      }
      if (spec.options().getWorkingDir() != null) {
        workingDir = spec.options().getWorkingDir();
      } else if (checkoutDir != null) {
        workingDir = checkoutDir;
      } else if (spec.options().isWorkspace()) {
        workingDir = WORKSPACE_DIR;
      } else {
        workingDir = null;
      }
    }
  }

  private static boolean isUnder(String dir, String root) {
    return dir.equals(root) || dir.startsWith(root + "/");
  }

  private static String withoutTrailingSlash(String dir) {
    return dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
  }

  private static Volume emptyDir(String name) {
    return new VolumeBuilder().withName(name).withNewEmptyDir().endEmptyDir().build();
  }

  private static VolumeMount mount(String volume, String path) {
    return new VolumeMountBuilder().withName(volume).withMountPath(path).build();
  }

  /**
   * Clones the repository with a fixed script; repository, revision and directory reach it only as
   * environment variables, so nothing from an event is ever shell text.
   */
  private Container checkoutContainer(StepSpec spec, String dir, List<VolumeMount> mounts) {
    return new ContainerBuilder()
        .withName(CHECKOUT_CONTAINER)
        .withImage(gitImage)
        .withCommand("/bin/sh", "-c", CHECKOUT_SCRIPT)
        .addNewEnv()
        .withName("CARAVAN_REPOSITORY")
        .withValue(spec.repository())
        .endEnv()
        .addNewEnv()
        .withName("CARAVAN_REVISION")
        .withValue(spec.revision() == null ? "HEAD" : spec.revision())
        .endEnv()
        .addNewEnv()
        .withName("CARAVAN_CHECKOUT_DIR")
        .withValue(dir)
        .endEnv()
        .addNewEnv()
        .withName("CARAVAN_GIT_PROTOCOL")
        .withValue(CheckoutPolicy.gitProtocol(spec.repository()))
        .endEnv()
        .withVolumeMounts(mounts)
        .build();
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

  private static Container stepContainer(StepRequest request, boolean hasInput, Volumes volumes) {
    StepSpec spec = request.spec();
    List<EnvVar> env = new ArrayList<>();
    spec.env().forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    request.caravanEnv().forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    if (request.eventJson() != null) {
      env.add(new EnvVar("CARAVAN_EVENT_FILE", EVENT_FILE, null));
    }
    if (spec.options().isWorkspace()) {
      env.add(new EnvVar("CARAVAN_WORKSPACE", WORKSPACE_DIR, null));
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
            .withImage(spec.options().getImage())
            .withImagePullPolicy(spec.options().getImagePullPolicy())
            .withCommand(commandLine(spec, hasInput))
            .withEnv(env)
            .withEnvFrom(envFrom)
            .withWorkingDir(volumes.workingDir)
            .withResources(resources(spec));
    if (!volumes.stepMounts.isEmpty()) {
      container.withVolumeMounts(volumes.stepMounts);
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
            List.of(
                "/bin/sh",
                "-c",
                "exec /bin/sh -c \"$0\" < " + STDIN_FILE,
                spec.options().getScript()));
      } else {
        line.addAll(List.of("/bin/sh", "-c", spec.options().getScript()));
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
    putQuantity(requests, "cpu", spec.options().getCpuRequest());
    putQuantity(requests, "memory", spec.options().getMemoryRequest());
    putQuantity(limits, "cpu", spec.options().getCpuLimit());
    putQuantity(limits, "memory", spec.options().getMemoryLimit());
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
