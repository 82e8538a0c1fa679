package dev.caravan.run;

import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.fail;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.neverFinish;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.succeed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.LogCapture;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.H2EventComponents;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.StepRecord;
import dev.caravan.kjob.StepStatus;
import dev.caravan.kjob.kubernetes.JobLabels;
import dev.caravan.kjob.kubernetes.KubeletStandIn;
import dev.caravan.kjob.kubernetes.KubernetesStepExecutor;
import dev.caravan.kjob.kubernetes.MockCluster;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run tracking on the Kubernetes executor, end to end: event component (H2 file database) → run →
 * {@code kjob} steps as Jobs on fabric8's mock API server in CRUD mode, with {@link KubeletStandIn}
 * playing the Job controller and kubelet. The mock server and the stand-in outlive the Caravan
 * contexts of a test, as a cluster outlives a Caravan restart.
 */
class KubernetesRunsTest {

  private static final String NAMESPACE = "test";
  private static final String PIPELINE = "pipe";
  private static final String JOBS_PATH = "/apis/batch/v1/namespaces/" + NAMESPACE + "/jobs";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  private JdbcRunStore runs;
  private JdbcStepJournal journal;
  private HikariDataSource sharedDatabase;
  private final List<CamelContext> contexts = new CopyOnWriteArrayList<>();
  private final List<RecordedRequest> requests = new ArrayList<>();
  private final List<JobPost> jobPosts = new CopyOnWriteArrayList<>();

  /** A Job creation the mock API server answered. */
  private record JobPost(String step, int code) {}

  @RegisterExtension
  final MockCluster cluster =
      new MockCluster(
          expectations ->
              new KubernetesMixedDispatcher(expectations) {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                  // the CRUD dispatcher consumes the body it reads, so keep a copy first
                  boolean jobPost =
                      "POST".equals(request.getMethod()) && JOBS_PATH.equals(request.getPath());
                  byte[] body = jobPost ? request.getBody().getBytes() : null;
                  MockResponse response = super.dispatch(request);
                  if (jobPost) {
                    Job job =
                        Serialization.unmarshal(
                            new String(body, StandardCharsets.UTF_8), Job.class);
                    jobPosts.add(new JobPost(stepOf(job), response.code()));
                  }
                  return response;
                }
              });

  @BeforeEach
  void openDatabase() {
    // the test's own view of the database, independent of any Caravan context's pool
    JdbcDataSource database = new JdbcDataSource();
    database.setURL(jdbcUrl());
    database.setUser("sa");
    database.setPassword("");
    runs = new JdbcRunStore(database);
    journal = new JdbcStepJournal(database);
  }

  @AfterEach
  void stopCaravans() {
    for (CamelContext camel : contexts) {
      camel.getShutdownStrategy().setTimeout(1);
      camel.stop();
    }
    if (sharedDatabase != null) {
      sharedDatabase.close();
    }
  }

  @Test
  void runInterruptedMidPipelineCompletesAfterRestartCreatingEachJobOnce() {
    interruptInStepBThenResumeInANewCaravan();
  }

  /**
   * The same with the database outliving Caravan, as under Spring Boot, where the event component
   * uses the application's DataSource: the interrupted run must not be recorded as ended by the
   * Caravan that stops.
   */
  @Test
  void runInterruptedWhileItsDatabaseStaysUpIsResumedNotFailed() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl());
    config.setUsername("sa");
    config.setPassword("");
    config.setPoolName("test-shared");
    sharedDatabase = new HikariDataSource(config);
    interruptInStepBThenResumeInANewCaravan();
  }

  private void interruptInStepBThenResumeInANewCaravan() {
    CompletableFuture<Void> releaseB = new CompletableFuture<>();
    cluster.kubelet().on("a", succeed("log of a\n"));
    cluster.kubelet().on("b", succeed("log of b\n").after(releaseB));
    cluster.kubelet().on("c", succeed("log of c\n"));
    CamelContext first = startCaravan();

    String runId = runOf(publish(first));
    String jobOfB = awaitStartedJob(runId, "b");

    // Caravan stops while b runs; the in-flight run must not hold the shutdown for 45 s
    first.getShutdownStrategy().setTimeout(1);
    first.stop();

    assertThat(runs.run(runId)).get().extracting(RunView::status).isEqualTo(RunStatus.RUNNING);
    assertThat(stepsByName(runId))
        .containsOnlyKeys("a", "b")
        .hasEntrySatisfying("a", a -> assertThat(a.status()).isEqualTo(StepStatus.SUCCEEDED))
        .hasEntrySatisfying(
            "b",
            b -> {
              assertThat(b.hasEnded()).as("b is still RUNNING").isFalse();
              assertThat(b.jobName()).isEqualTo(jobOfB);
              assertThat(b.attempt()).isEqualTo(1);
            });
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NAMESPACE).withName(jobOfB).get())
        .as("b's Job keeps running in the cluster")
        .isNotNull();

    ListAppender<ILoggingEvent> executorLog = LogCapture.start(KubernetesStepExecutor.class);
    try {
      // a new instance (new instance id) takes the run over once the first one's lease expired
      startCaravan();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  LogCapture.events(executorLog).stream()
                      .anyMatch(
                          e ->
                              e.getFormattedMessage()
                                  .equals(
                                      "Re-attaching to existing Job " + NAMESPACE + "/" + jobOfB)));
    } finally {
      LogCapture.stop(KubernetesStepExecutor.class, executorLog);
    }
    assertThat(runs.run(runId)).get().extracting(RunView::status).isEqualTo(RunStatus.RUNNING);

    releaseB.complete(null);

    awaitRunStatus(runId, RunStatus.SUCCEEDED);
    List<StepView> steps = journal.steps(runId);
    assertThat(steps).extracting(StepView::name).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(steps)
        .allSatisfy(
            step -> {
              assertThat(step.record().status()).isEqualTo(StepStatus.SUCCEEDED);
              assertThat(step.record().attempt()).isEqualTo(1);
              assertThat(step.record().executor()).isEqualTo("kubernetes");
              assertThat(logOf(runId, step)).isEqualTo("log of " + step.name() + "\n");
            });
    assertThat(stepsByName(runId).get("b").jobName()).isEqualTo(jobOfB);
    assertThat(jobPostsByStep())
        .as("Job POSTs across both Caravan contexts")
        .isEqualTo(Map.of("a", 1L, "b", 1L, "c", 1L));
    assertThat(jobsCreatedByStep()).isEqualTo(Map.of("a", 1L, "b", 1L, "c", 1L));
  }

  @Test
  void cancelDeletesTheRunningJobAndNoFurtherStepStarts() {
    cluster.kubelet().on("b", neverFinish());
    CamelContext camel = startCaravan();
    String runId = runOf(publish(camel));
    String jobOfB = awaitStartedJob(runId, "b");
    var stopped = Runs.of(camel).cancel(runId);

    assertThat(stopped)
        .hasValueSatisfying(
            steps ->
                assertThat(steps)
                    .singleElement()
                    .satisfies(step -> assertThat(step.record().jobName()).isEqualTo(jobOfB)));
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        cluster
                            .client()
                            .batch()
                            .v1()
                            .jobs()
                            .inNamespace(NAMESPACE)
                            .withName(jobOfB)
                            .get())
                    .isNull());
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(camel.getInflightRepository().size()).as("runs in flight").isZero());
    assertThat(runs.run(runId)).get().extracting(RunView::status).isEqualTo(RunStatus.CANCELED);
    assertThat(stepsByName(runId))
        .containsOnlyKeys("a", "b")
        .hasEntrySatisfying("b", b -> assertThat(b.status()).isEqualTo(StepStatus.CANCELED));
    assertThat(
            cluster
                .client()
                .batch()
                .v1()
                .jobs()
                .inNamespace(NAMESPACE)
                .withLabel(JobLabels.STEP, "c")
                .list()
                .getItems())
        .isEmpty();
    assertThat(jobPostsByStep()).isEqualTo(Map.of("a", 1L, "b", 1L));
    assertThat(cluster.kubelet().jobs()).noneMatch(job -> "c".equals(stepOf(job)));
  }

  @Test
  void logsSurviveDeletionOfJobsAndPods() {
    cluster.kubelet().on("a", succeed("log of a\n"));
    cluster.kubelet().on("b", succeed("log of b\n"));
    cluster.kubelet().on("c", succeed("log of c\n"));
    CamelContext camel = startCaravan();
    String runId = runOf(publish(camel));
    awaitRunStatus(runId, RunStatus.SUCCEEDED);
    camel.stop();

    cluster.client().batch().v1().jobs().inNamespace(NAMESPACE).delete();
    cluster.client().pods().inNamespace(NAMESPACE).delete();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(
                      cluster.client().batch().v1().jobs().inNamespace(NAMESPACE).list().getItems())
                  .isEmpty();
              assertThat(cluster.client().pods().inNamespace(NAMESPACE).list().getItems())
                  .isEmpty();
            });

    assertThat(journal.steps(runId))
        .extracting(StepView::name, step -> logOf(runId, step))
        .containsExactlyInAnyOrder(
            tuple("a", "log of a\n"), tuple("b", "log of b\n"), tuple("c", "log of c\n"));
  }

  @Test
  void replayWithKeepSucceededReusesSucceededStepsWithoutNewJobs() {
    cluster.kubelet().on("a", succeed("log of a\n"));
    cluster.kubelet().on("b", fail(2, "b broke\n"));
    cluster.kubelet().on("c", succeed("log of c\n"));
    CamelContext camel = startCaravan();
    String eventId = publish(camel);
    String failedRun = runOf(eventId);
    awaitRunStatus(failedRun, RunStatus.FAILED);
    assertThat(stepsByName(failedRun))
        .containsOnlyKeys("a", "b")
        .hasEntrySatisfying(
            "b",
            b -> {
              assertThat(b.status()).isEqualTo(StepStatus.FAILED);
              assertThat(b.exitCode()).isEqualTo(2);
            });
    assertThat(jobPostsByStep()).isEqualTo(Map.of("a", 1L, "b", 1L));
    cluster.kubelet().on("b", succeed("log of b\n"));

    String keptRun = replay(camel, eventId, true);

    awaitRunStatus(keptRun, RunStatus.SUCCEEDED);
    assertThat(runs.run(keptRun)).get().extracting(RunView::reuseFrom).isEqualTo(failedRun);
    Map<String, StepRecord> kept = stepsByName(keptRun);
    assertThat(kept).containsOnlyKeys("a", "b", "c");
    assertThat(kept.values())
        .allSatisfy(s -> assertThat(s.status()).isEqualTo(StepStatus.SUCCEEDED));
    assertThat(kept.get("a").jobName())
        .as("a is reused from the failed run")
        .isEqualTo(stepsByName(failedRun).get("a").jobName());
    assertThat(journal.log(keptRun, "a", "", kept.get("a").attempt())).isEqualTo("log of a\n");
    assertThat(kept.get("b").jobName()).isNotEqualTo(stepsByName(failedRun).get("b").jobName());
    assertThat(journal.log(keptRun, "b", "", kept.get("b").attempt())).isEqualTo("log of b\n");
    assertThat(jobPostsByStep())
        .as("Job POSTs after the replay that keeps succeeded steps")
        .isEqualTo(Map.of("a", 1L, "b", 2L, "c", 1L));

    String freshRun = replay(camel, eventId, false);

    awaitRunStatus(freshRun, RunStatus.SUCCEEDED);
    assertThat(runs.run(freshRun)).get().extracting(RunView::reuseFrom).isNull();
    assertThat(stepsByName(freshRun).values())
        .hasSize(3)
        .allSatisfy(s -> assertThat(s.status()).isEqualTo(StepStatus.SUCCEEDED));
    assertThat(jobPostsByStep())
        .as("Job POSTs after a replay from scratch")
        .isEqualTo(Map.of("a", 2L, "b", 3L, "c", 2L));
    assertThat(jobsCreatedByStep()).isEqualTo(Map.of("a", 2L, "b", 3L, "c", 2L));
  }

  // helpers

  private String jdbcUrl() {
    return H2EventComponents.fileUrl(dir, "db");
  }

  /** One Caravan: a new event component (so a new instance id) and kjob on the mock cluster. */
  private CamelContext startCaravan() {
    CamelContext camel = new DefaultCamelContext();
    EventComponent events = H2EventComponents.at(jdbcUrl());
    events.setPollInterval(200);
    if (sharedDatabase != null) {
      events.setDataSource(sharedDatabase);
    }
    KjobComponent kjob = new KjobComponent();
    kjob.setKubernetesClient(cluster.client());
    kjob.setNamespace(NAMESPACE);
    kjob.setExecutor("kubernetes");
    camel.addComponent("event", events);
    camel.addComponent("kjob", kjob);
    try {
      camel.addRoutes(
          new RouteBuilder() {
            @Override
            public void configure() {
              from("event:test?types=go")
                  .routeId(PIPELINE)
                  .to("kjob:a?image=busybox&script=true")
                  .to("kjob:b?image=busybox&script=true")
                  .to("kjob:c?image=busybox&script=true");
            }
          });
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    camel.getPropertiesComponent().addInitialProperty("caravan.runs.lease-timeout", "500ms");
    camel.start();
    contexts.add(camel);
    return camel;
  }

  /** Publishes a "go" event; returns its id. */
  private static String publish(CamelContext camel) {
    Exchange published =
        camel
            .createProducerTemplate()
            .request(
                "event:test",
                e -> {
                  e.getMessage().setHeader(EventConstants.EVENT_TYPE, "go");
                  e.getMessage().setBody("{\"n\": 1}");
                });
    assertThat(published.getException()).isNull();
    return published.getMessage().getHeader(EventConstants.EVENT_ID, String.class);
  }

  /** The single run of the event in the pipeline. */
  private String runOf(String eventId) {
    List<RunView> found =
        await()
            .atMost(WAIT)
            .until(() -> runs.runs(PIPELINE, null, eventId, 10, 0), list -> !list.isEmpty());
    assertThat(found).hasSize(1);
    return found.get(0).id();
  }

  /** Replays the event the way the runs API does; returns the new run's id. */
  private static String replay(CamelContext camel, String eventId, boolean keepSucceeded) {
    var replayed = Runs.of(camel).replay(eventId, keepSucceeded).orElseThrow();
    assertThat(replayed).hasSize(1);
    return replayed.get(0).delivery().id();
  }

  private void awaitRunStatus(String runId, RunStatus status) {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(runs.run(runId)).get().extracting(RunView::status).isEqualTo(status));
  }

  /** Waits until the stand-in has marked the step's Job of the run active; returns its name. */
  private String awaitStartedJob(String runId, String step) {
    Job job =
        await()
            .atMost(WAIT)
            .until(
                () ->
                    cluster
                        .client()
                        .batch()
                        .v1()
                        .jobs()
                        .inNamespace(NAMESPACE)
                        .withLabel(JobLabels.RUN, runId)
                        .withLabel(JobLabels.STEP, step)
                        .list()
                        .getItems()
                        .stream()
                        .filter(j -> j.getStatus() != null && j.getStatus().getStartTime() != null)
                        .findFirst()
                        .orElse(null),
                found -> found != null);
    return job.getMetadata().getName();
  }

  /** The latest attempt of each step of the run (each step is expected once). */
  private String logOf(String runId, StepView step) {
    return journal.log(runId, step.name(), step.fanOutIndex(), step.record().attempt());
  }

  private Map<String, StepRecord> stepsByName(String runId) {
    List<StepView> steps = journal.steps(runId);
    assertThat(steps.stream().map(StepView::name))
        .as("steps of run %s", runId)
        .doesNotHaveDuplicates();
    return steps.stream()
        .collect(Collectors.toMap(StepView::name, StepView::record, (x, y) -> y, TreeMap::new));
  }

  /**
   * Job creations the mock API server received so far, by step; fails on a POST that was answered
   * with anything but 201 (a 409 would mean a re-attach that did not use the informer's cache).
   */
  private Map<String, Long> jobPostsByStep() {
    assertThat(
            requests().stream()
                .filter(r -> "POST".equals(r.getMethod()) && JOBS_PATH.equals(r.getPath())))
        .as("Job POSTs recorded by the mock server")
        .hasSameSizeAs(jobPosts);
    assertThat(jobPosts).extracting(JobPost::code).as("answers to Job POSTs").containsOnly(201);
    return jobPosts.stream()
        .collect(Collectors.groupingBy(JobPost::step, TreeMap::new, Collectors.counting()));
  }

  /** Jobs that actually came to exist (a POST answered 409 adds none), by step. */
  private Map<String, Long> jobsCreatedByStep() {
    return cluster.kubelet().jobs().stream()
        .map(KubernetesRunsTest::stepOf)
        .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
  }

  private static String stepOf(Job job) {
    return job.getMetadata().getLabels().get(JobLabels.STEP);
  }

  private List<RecordedRequest> requests() {
    try {
      RecordedRequest request;
      while ((request = cluster.server().takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
        requests.add(request);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return List.copyOf(requests);
  }
}
