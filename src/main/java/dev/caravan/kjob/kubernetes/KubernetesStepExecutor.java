package dev.caravan.kjob.kubernetes;

import dev.caravan.kjob.StepExecutor;
import dev.caravan.kjob.StepNames;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each step attempt as a {@code batch/v1} Job. No thread waits while a Job runs: creation and
 * the pod list run on a small shared pool, the Job's end arrives through {@link JobWatcher}, and
 * the log is streamed through {@link PodLogReader}. Job names are deterministic, so executing the
 * same attempt again re-attaches to its Job.
 */
public final class KubernetesStepExecutor implements StepExecutor {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesStepExecutor.class);

  /** Image of the checkout init container unless the component names another. */
  public static final String DEFAULT_GIT_IMAGE = "alpine/git:2.45.2";

  /**
   * The PersistentVolumeClaim of a run's workspace.
   *
   * @param storageClass storage class, or {@code null} for the cluster's default
   * @param accessMode such as ReadWriteMany (needed when parallel steps share it on several nodes)
   * @param size requested storage, a Kubernetes quantity
   */
  public record WorkspaceClaim(String storageClass, String accessMode, String size) {
    public static final WorkspaceClaim DEFAULT = new WorkspaceClaim(null, "ReadWriteMany", "1Gi");
  }

  private final KubernetesClient client;
  private final ExecutorService apiThreads;
  private final String defaultNamespace;
  private final JobFactory jobs;
  private final JobWatcher watcher;
  private final PodLogReader logs;
  private final WorkspaceClaim workspaceClaim;

  /**
   * Workspaces this Caravan created (or found existing) per namespace and run: later steps of the
   * run skip the API request, and the run's end knows what to delete.
   */
  private final Map<RunInNamespace, CompletableFuture<Void>> workspaces = new ConcurrentHashMap<>();

  private record RunInNamespace(String namespace, String runId) {}

  /**
   * @param apiThreads runs the blocking API calls (create, pod list, log read)
   * @param defaultNamespace namespace of steps that name none
   * @param helperImage image with {@code sh} and {@code base64} that writes event and input files
   */
  public KubernetesStepExecutor(
      KubernetesClient client,
      ExecutorService apiThreads,
      String defaultNamespace,
      String helperImage) {
    this(
        client,
        apiThreads,
        defaultNamespace,
        helperImage,
        DEFAULT_GIT_IMAGE,
        WorkspaceClaim.DEFAULT);
  }

  /**
   * @param gitImage image with {@code sh} and {@code git} of the checkout init container
   * @param workspaceClaim how the claims of run workspaces look
   */
  public KubernetesStepExecutor(
      KubernetesClient client,
      ExecutorService apiThreads,
      String defaultNamespace,
      String helperImage,
      String gitImage,
      WorkspaceClaim workspaceClaim) {
    this.client = client;
    this.apiThreads = apiThreads;
    this.defaultNamespace = defaultNamespace;
    this.jobs = new JobFactory(helperImage, gitImage);
    this.watcher = new JobWatcher(client, apiThreads);
    this.logs = new PodLogReader(client);
    this.workspaceClaim = workspaceClaim;
  }

  @Override
  public CompletableFuture<StepResult> execute(StepRequest request) {
    String namespace =
        request.spec().options().getNamespace() == null
            ? defaultNamespace
            : request.spec().options().getNamespace();
    Job job;
    try {
      job = jobs.build(request, namespace);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    Instant requested = Instant.now();
    CompletableFuture<Void> workspace =
        request.spec().options().isWorkspace()
            ? workspace(namespace, request.runId())
            : CompletableFuture.completedFuture(null);
    return workspace
        .thenRunAsync(() -> createOrAttach(job, namespace), apiThreads)
        .thenCompose(created -> watcher.awaitEnd(namespace, request.jobName()))
        .thenComposeAsync(
            ended ->
                result(namespace, ended, requested, request.spec().options().getMaxOutputBytes()),
            apiThreads);
  }

  /**
   * Deletes the run's workspace claim in the namespace (Kubernetes keeps the volume until no pod
   * uses it any more). Completes when the API server has accepted the deletion.
   */
  public CompletableFuture<Void> deleteWorkspace(String namespace, String runId) {
    String ns = namespace == null ? defaultNamespace : namespace;
    workspaces.remove(new RunInNamespace(ns, runId));
    String name = JobFactory.workspaceClaimName(runId);
    return CompletableFuture.runAsync(
        () -> {
          client.persistentVolumeClaims().inNamespace(ns).withName(name).delete();
          LOG.debug("Deleted workspace claim {}/{} of run {}", ns, name, runId);
        },
        apiThreads);
  }

  /**
   * Deletes the workspace claims of the run that this executor created or used (in any namespace);
   * nothing, and no API request, for a run without one.
   */
  public CompletableFuture<Void> deleteWorkspaces(String runId) {
    List<CompletableFuture<Void>> deletions =
        workspaces.keySet().stream()
            .filter(key -> key.runId().equals(runId))
            .map(key -> deleteWorkspace(key.namespace(), runId))
            .toList();
    return CompletableFuture.allOf(deletions.toArray(CompletableFuture[]::new));
  }

  /** The run's workspace claim, created by the first step that needs it (once per run here). */
  private CompletableFuture<Void> workspace(String namespace, String runId) {
    RunInNamespace key = new RunInNamespace(namespace, runId);
    CompletableFuture<Void> ready =
        workspaces.computeIfAbsent(
            key,
            k -> CompletableFuture.runAsync(() -> createWorkspace(namespace, runId), apiThreads));
    // a failed creation is tried again by the next step
    ready.whenComplete(
        (ignored, error) -> {
          if (error != null) {
            workspaces.remove(key, ready);
          }
        });
    return ready;
  }

  private void createWorkspace(String namespace, String runId) {
    String name = JobFactory.workspaceClaimName(runId);
    PersistentVolumeClaim claim =
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .addToLabels(JobLabels.MANAGED_BY, JobLabels.MANAGED_BY_VALUE)
            .addToLabels(JobLabels.RUN, StepNames.labelValue(runId))
            .addToAnnotations(JobLabels.RUN_ID_ANNOTATION, runId)
            .endMetadata()
            .withNewSpec()
            .withAccessModes(workspaceClaim.accessMode())
            .withStorageClassName(workspaceClaim.storageClass())
            .withNewResources()
            .addToRequests("storage", new Quantity(workspaceClaim.size()))
            .endResources()
            .endSpec()
            .build();
    try {
      client.persistentVolumeClaims().inNamespace(namespace).resource(claim).create();
      LOG.info("Created workspace claim {}/{} for run {}", namespace, name, runId);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      LOG.debug("Workspace claim {}/{} of run {} exists already", namespace, name, runId);
    }
  }

  /** Whether every namespace informer is connected (for health checks). */
  public boolean isWatching() {
    return watcher.isWatching();
  }

  /** Deletes the Job and its pods (foreground), so the step ends as CANCELED. */
  public void cancel(String namespace, String jobName) {
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(namespace == null ? defaultNamespace : namespace)
        .withName(jobName)
        .withPropagationPolicy(DeletionPropagation.FOREGROUND)
        .delete();
  }

  @Override
  public void close() {
    watcher.close();
  }

  private void createOrAttach(Job job, String namespace) {
    String name = job.getMetadata().getName();
    watcher.watch(namespace);
    if (watcher.cached(namespace, name) != null) {
      LOG.info("Re-attaching to existing Job {}/{}", namespace, name);
      return;
    }
    try {
      client.batch().v1().jobs().inNamespace(namespace).resource(job).create();
      LOG.debug("Created Job {}/{}", namespace, name);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      LOG.info("Re-attaching to existing Job {}/{}", namespace, name);
    }
  }

  /** Lists the Job's pods (on the calling API thread), then streams the log of the latest. */
  private CompletableFuture<StepResult> result(
      String namespace, Job job, Instant requested, int maxOutputBytes) {
    String name = job.getMetadata().getName();
    Optional<Pod> pod = latestPod(namespace, name);
    Integer stepExit = pod.flatMap(p -> exitCode(p, JobLabels.STEP_CONTAINER)).orElse(null);
    Optional<String> failedInit =
        stepExit == null
            ? pod.flatMap(KubernetesStepExecutor::failedInitContainer)
            : Optional.empty();
    Integer exitCode =
        failedInit.isPresent() ? exitCode(pod.get(), failedInit.get()).orElse(null) : stepExit;
    CompletableFuture<String> log;
    if (pod.isEmpty()) {
      log = CompletableFuture.completedFuture("");
    } else if (failedInit.isPresent()) {
      // the step never ran: what the failed init container (a checkout, say) said is the output
      String container = failedInit.get();
      log =
          logs.read(namespace, pod.get().getMetadata().getName(), container, maxOutputBytes)
              .thenApply(
                  text ->
                      text
                          + "[caravan: init container "
                          + container
                          + " failed with exit code "
                          + exitCode
                          + "; the step did not run]\n");
    } else {
      log =
          logs.read(
              namespace,
              pod.get().getMetadata().getName(),
              JobLabels.STEP_CONTAINER,
              maxOutputBytes);
    }
    Instant started = parse(job.getStatus() == null ? null : job.getStatus().getStartTime());
    return log.thenApply(
        text ->
            new StepResult(
                name,
                statusOf(job),
                exitCode,
                text,
                started == null ? requested : started,
                endOf(job)));
  }

  static StepStatus statusOf(Job job) {
    if (!JobWatcher.hasFinished(job)) {
      return StepStatus.CANCELED;
    }
    List<JobCondition> conditions =
        job.getStatus().getConditions() == null ? List.of() : job.getStatus().getConditions();
    for (JobCondition condition : conditions) {
      if ("Failed".equals(condition.getType()) && "True".equals(condition.getStatus())) {
        return "DeadlineExceeded".equals(condition.getReason())
            ? StepStatus.TIMED_OUT
            : StepStatus.FAILED;
      }
    }
    Integer failed = job.getStatus().getFailed();
    return failed != null && failed > 0 ? StepStatus.FAILED : StepStatus.SUCCEEDED;
  }

  private static Instant endOf(Job job) {
    if (job.getStatus() != null) {
      Instant completed = parse(job.getStatus().getCompletionTime());
      if (completed != null) {
        return completed;
      }
    }
    return Instant.now();
  }

  private Optional<Pod> latestPod(String namespace, String jobName) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel(JobLabels.JOB_NAME, jobName)
        .list()
        .getItems()
        .stream()
        .max(Comparator.comparing(pod -> String.valueOf(pod.getMetadata().getCreationTimestamp())));
  }

  /** The name of an init container that terminated with a non-zero exit code, if any. */
  private static Optional<String> failedInitContainer(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getInitContainerStatuses().stream()
        .filter(
            status ->
                status.getState() != null
                    && status.getState().getTerminated() != null
                    && status.getState().getTerminated().getExitCode() != null
                    && status.getState().getTerminated().getExitCode() != 0)
        .map(ContainerStatus::getName)
        .findFirst();
  }

  private static Optional<Integer> exitCode(Pod pod, String container) {
    if (pod.getStatus() == null) {
      return Optional.empty();
    }
    List<ContainerStatus> statuses = new ArrayList<>();
    if (pod.getStatus().getContainerStatuses() != null) {
      statuses.addAll(pod.getStatus().getContainerStatuses());
    }
    if (pod.getStatus().getInitContainerStatuses() != null) {
      statuses.addAll(pod.getStatus().getInitContainerStatuses());
    }
    return statuses.stream()
        .filter(status -> container.equals(status.getName()))
        .map(ContainerStatus::getState)
        .filter(state -> state != null && state.getTerminated() != null)
        .map(state -> state.getTerminated())
        .map(ContainerStateTerminated::getExitCode)
        .findFirst();
  }

  private static Instant parse(String timestamp) {
    return timestamp == null ? null : Instant.parse(timestamp);
  }
}
