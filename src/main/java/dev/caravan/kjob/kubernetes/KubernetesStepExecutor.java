package dev.caravan.kjob.kubernetes;

import dev.caravan.kjob.StepExecutor;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each step attempt as a {@code batch/v1} Job. No thread waits while a Job runs: creation and
 * log reading run on a small shared pool, and the Job's end arrives through {@link JobWatcher}. Job
 * names are deterministic, so executing the same attempt again re-attaches to its Job.
 */
public final class KubernetesStepExecutor implements StepExecutor {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesStepExecutor.class);

  private final KubernetesClient client;
  private final ExecutorService apiThreads;
  private final String defaultNamespace;
  private final JobFactory jobs;
  private final JobWatcher watcher;

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
    this.client = client;
    this.apiThreads = apiThreads;
    this.defaultNamespace = defaultNamespace;
    this.jobs = new JobFactory(helperImage);
    this.watcher = new JobWatcher(client, apiThreads);
  }

  @Override
  public CompletableFuture<StepResult> execute(StepRequest request) {
    String namespace =
        request.spec().namespace() == null ? defaultNamespace : request.spec().namespace();
    Job job;
    try {
      job = jobs.build(request, namespace);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    Instant requested = Instant.now();
    return CompletableFuture.runAsync(() -> createOrAttach(job, namespace), apiThreads)
        .thenCompose(created -> watcher.awaitEnd(namespace, request.jobName()))
        .thenApplyAsync(
            ended -> result(namespace, ended, requested, request.spec().maxOutputBytes()),
            apiThreads);
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
        .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
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

  private StepResult result(String namespace, Job job, Instant requested, int maxOutputBytes) {
    String name = job.getMetadata().getName();
    Optional<Pod> pod = latestPod(namespace, name);
    Integer exitCode = pod.flatMap(KubernetesStepExecutor::exitCode).orElse(null);
    String log = pod.map(p -> readLog(namespace, p, maxOutputBytes)).orElse("");
    Instant started = parse(job.getStatus() == null ? null : job.getStatus().getStartTime());
    return new StepResult(
        name, statusOf(job), exitCode, log, started == null ? requested : started, endOf(job));
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

  private static Optional<Integer> exitCode(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(status -> JobLabels.STEP_CONTAINER.equals(status.getName()))
        .map(ContainerStatus::getState)
        .filter(state -> state != null && state.getTerminated() != null)
        .map(state -> state.getTerminated())
        .map(ContainerStateTerminated::getExitCode)
        .findFirst();
  }

  /** One GET of the container's log; the plain pod log API would first list and watch the pod. */
  private String readLog(String namespace, Pod pod, int maxOutputBytes) {
    String path =
        "/api/v1/namespaces/"
            + namespace
            + "/pods/"
            + pod.getMetadata().getName()
            + "/log?container="
            + JobLabels.STEP_CONTAINER
            + "&limitBytes="
            + maxOutputBytes;
    try {
      String log = client.raw(path);
      if (log == null) {
        return "";
      }
      return log.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < maxOutputBytes
          ? log
          : log + "\n[caravan: output cut at " + maxOutputBytes + " bytes]\n";
    } catch (KubernetesClientException e) {
      LOG.warn(
          "Could not read the log of pod {}/{}: {}",
          namespace,
          pod.getMetadata().getName(),
          e.getMessage());
      return "";
    }
  }

  private static Instant parse(String timestamp) {
    return timestamp == null ? null : Instant.parse(timestamp);
  }
}
