package dev.caravan.kjob.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays the Job controller and kubelet against a {@link KubernetesMockServer} in CRUD mode: for
 * each new Caravan Job it marks the Job started, then (at once, or when the outcome's release
 * completes) creates the Job's terminated pod, serves the pod's log and sets the Job's final
 * status.
 *
 * <p>It watches Jobs with its own client and informer (all namespaces, no label selector, so its
 * list and watch requests never match expectations a test sets on the executor's informer), and
 * does its API calls on its own small pool, never on the informer's IO thread.
 */
public final class KubeletStandIn implements AutoCloseable {

  /** How a step's container ends. */
  public record Outcome(
      int exitCode,
      String log,
      String failureReason,
      CompletionStage<?> release,
      String failedInitContainer) {

    private static final CompletionStage<Void> NOW = CompletableFuture.completedFuture(null);

    /** Exit code 0 with the log "output of JOB\n". */
    public static Outcome succeed() {
      return succeed(null);
    }

    /** Exit code 0 with the given log ({@code null}: the default one). */
    public static Outcome succeed(String log) {
      return new Outcome(0, log, null, NOW, null);
    }

    /** Non-zero exit; the Job fails with reason BackoffLimitExceeded. */
    public static Outcome fail(int exitCode, String log) {
      return new Outcome(exitCode, log, "BackoffLimitExceeded", NOW, null);
    }

    /** The Job runs past activeDeadlineSeconds: its container is killed (137). */
    public static Outcome exceedDeadline(String log) {
      return new Outcome(137, log, "DeadlineExceeded", NOW, null);
    }

    /** The Job is started but never ends (unless it is deleted). */
    public static Outcome neverFinish() {
      return succeed().after(new CompletableFuture<>());
    }

    /**
     * The init container {@code container} exits non-zero with {@code log}, so the step's own
     * container never runs; the Job fails.
     */
    public static Outcome failInit(String container, int exitCode, String log) {
      return new Outcome(exitCode, log, "BackoffLimitExceeded", NOW, container);
    }

    /** The same outcome, reached only once {@code release} completes. */
    public Outcome after(CompletionStage<?> release) {
      return new Outcome(exitCode, log, failureReason, release, failedInitContainer);
    }

    String logOf(String jobName) {
      return log == null ? "output of " + jobName + "\n" : log;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(KubeletStandIn.class);
  private static final String ANY_ATTEMPT = "*";

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final ExecutorService pool;
  private final SharedIndexInformer<Job> informer;
  private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private final List<Job> jobs = new CopyOnWriteArrayList<>();
  private final List<Throwable> errors = new CopyOnWriteArrayList<>();

  public KubeletStandIn(KubernetesMockServer server) {
    this(server, server.createClient());
  }

  /**
   * A stand-in that makes its API calls with the given client (and closes it), e.g. one with a
   * User-Agent of its own so that a test can tell its requests from Caravan's.
   */
  public KubeletStandIn(KubernetesMockServer server, KubernetesClient client) {
    this.server = server;
    this.client = client;
    AtomicInteger threads = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            2,
            task -> {
              Thread thread = new Thread(task, "kubelet-stand-in-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    this.informer = client.batch().v1().jobs().inAnyNamespace().inform(new Handler(), 0);
  }

  /** Every attempt of the step ends so. */
  public KubeletStandIn on(String stepName, Outcome outcome) {
    outcomes.put(key(stepName, ANY_ATTEMPT), outcome);
    return this;
  }

  /** The given attempt of the step ends so (takes precedence over {@link #on(String, Outcome)}). */
  public KubeletStandIn on(String stepName, int attempt, Outcome outcome) {
    outcomes.put(key(stepName, Integer.toString(attempt)), outcome);
    return this;
  }

  /** The Caravan Jobs seen so far, as they were created, in the order seen. */
  public List<Job> jobs() {
    return List.copyOf(jobs);
  }

  public List<String> jobNames() {
    return jobs.stream().map(job -> job.getMetadata().getName()).toList();
  }

  /** Failures of the stand-in's own API calls (a test should expect none). */
  public List<Throwable> errors() {
    return List.copyOf(errors);
  }

  @Override
  public void close() {
    informer.close();
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.close();
  }

  private void admit(Job job) {
    Map<String, String> labels = job.getMetadata().getLabels();
    if (labels == null
        || !JobLabels.MANAGED_BY_VALUE.equals(labels.get(JobLabels.MANAGED_BY))
        || job.getStatus() != null
        || !handled.add(job.getMetadata().getNamespace() + "/" + job.getMetadata().getName())) {
      return;
    }
    jobs.add(job);
    Outcome outcome = outcomeFor(job);
    CompletableFuture.supplyAsync(() -> start(job), pool)
        .thenCombine(outcome.release(), (started, released) -> started)
        .thenAcceptAsync(started -> finish(started, outcome), pool)
        .exceptionally(
            error -> {
              LOG.error("Stand-in kubelet failed on Job {}", job.getMetadata().getName(), error);
              errors.add(error);
              return null;
            });
  }

  private Outcome outcomeFor(Job job) {
    String step = job.getMetadata().getAnnotations().get(JobLabels.STEP_NAME_ANNOTATION);
    String attempt = job.getMetadata().getLabels().get(JobLabels.ATTEMPT);
    Outcome outcome = outcomes.get(key(step, attempt));
    if (outcome == null) {
      outcome = outcomes.get(key(step, ANY_ATTEMPT));
    }
    return outcome == null ? Outcome.succeed() : outcome;
  }

  /** What the Job controller does first: the Job becomes active. */
  private Job start(Job job) {
    Job started =
        new JobBuilder(job)
            .withNewStatus()
            .withStartTime(now())
            .withActive(1)
            .withReady(0)
            .endStatus()
            .build();
    return client
        .batch()
        .v1()
        .jobs()
        .inNamespace(job.getMetadata().getNamespace())
        .resource(started)
        .updateStatus();
  }

  /** The container terminated: a pod with its exit code and log, then the Job's final status. */
  private void finish(Job job, Outcome outcome) {
    String namespace = job.getMetadata().getNamespace();
    String name = job.getMetadata().getName();
    String podName = name + "-" + randomSuffix();
    boolean succeeded = outcome.exitCode() == 0 && outcome.failureReason() == null;
    String failedInit = outcome.failedInitContainer();
    String image = job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    List<ContainerStatus> initStatuses = new ArrayList<>();
    ContainerStatus stepStatus;
    if (failedInit == null) {
      stepStatus =
          new ContainerStatusBuilder()
              .withName(JobLabels.STEP_CONTAINER)
              .withImage(image)
              .withNewState()
              .withNewTerminated()
              .withExitCode(outcome.exitCode())
              .withReason(succeeded ? "Completed" : "Error")
              .withFinishedAt(now())
              .endTerminated()
              .endState()
              .build();
    } else {
      initStatuses.add(
          new ContainerStatusBuilder()
              .withName(failedInit)
              .withNewState()
              .withNewTerminated()
              .withExitCode(outcome.exitCode())
              .withReason("Error")
              .withFinishedAt(now())
              .endTerminated()
              .endState()
              .build());
      stepStatus =
          new ContainerStatusBuilder()
              .withName(JobLabels.STEP_CONTAINER)
              .withImage(image)
              .withNewState()
              .withNewWaiting()
              .withReason("PodInitializing")
              .endWaiting()
              .endState()
              .build();
    }
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(podName)
            .withNamespace(namespace)
            .addToLabels(JobLabels.JOB_NAME, name)
            .addToLabels("batch.kubernetes.io/job-name", name)
            .endMetadata()
            .withSpec(job.getSpec().getTemplate().getSpec())
            .withNewStatus()
            .withPhase(succeeded ? "Succeeded" : "Failed")
            .withInitContainerStatuses(initStatuses)
            .withContainerStatuses(stepStatus)
            .endStatus()
            .build();
    client.pods().inNamespace(namespace).resource(pod).create();
    server
        .expect()
        .get()
        .withPath(
            "/api/v1/namespaces/"
                + namespace
                + "/pods/"
                + podName
                + "/log?container="
                + (failedInit == null ? JobLabels.STEP_CONTAINER : failedInit))
        .andReturn(200, outcome.logOf(name))
        .always();

    String at = now();
    List<JobCondition> conditions = new ArrayList<>();
    JobBuilder ended = new JobBuilder(job);
    if (succeeded) {
      conditions.add(condition("SuccessCriteriaMet", "CompletionsReached", at));
      conditions.add(condition("Complete", "CompletionsReached", at));
      ended.editStatus().withCompletionTime(at).withSucceeded(1).endStatus();
    } else {
      conditions.add(condition("FailureTarget", outcome.failureReason(), at));
      conditions.add(condition("Failed", outcome.failureReason(), at));
      ended.editStatus().withFailed(1).endStatus();
    }
    ended.editStatus().withActive(0).withReady(0).withConditions(conditions).endStatus();
    client.batch().v1().jobs().inNamespace(namespace).resource(ended.build()).updateStatus();
  }

  private static JobCondition condition(String type, String reason, String at) {
    return new JobConditionBuilder()
        .withType(type)
        .withStatus("True")
        .withReason(reason)
        .withLastProbeTime(at)
        .withLastTransitionTime(at)
        .build();
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String randomSuffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder suffix = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      suffix.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
    }
    return suffix.toString();
  }

  private static String key(String stepName, String attempt) {
    return stepName + "#" + attempt;
  }

  private final class Handler implements ResourceEventHandler<Job> {
    @Override
    public void onAdd(Job job) {
      admit(job);
    }

    @Override
    public void onUpdate(Job oldJob, Job newJob) {}

    @Override
    public void onDelete(Job job, boolean deletedFinalStateUnknown) {}
  }
}
