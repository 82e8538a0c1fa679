package dev.caravan.reliability;

import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.succeed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.TestProcesses;
import dev.caravan.kjob.StepStatus;
import dev.caravan.kjob.kubernetes.JobLabels;
import dev.caravan.kjob.kubernetes.KubeletStandIn;
import dev.caravan.kjob.kubernetes.MockCluster;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.RunStatus;
import dev.caravan.run.RunView;
import dev.caravan.run.StepView;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash recovery end to end: Caravan as a separate JVM ({@link CrashChildMain}) is killed with
 * SIGKILL while runs are in flight, then a second one is started on the same database. Every event
 * the first one accepted gets its run, every run completes, finished steps are not run again
 * (process starts are counted in files; on Kubernetes, Job POSTs are counted on the mock API
 * server, which outlives the child as a cluster would: the test's mock cluster closes after the
 * children are killed), and nothing is left behind without a run.
 */
class CrashRecoveryIT {

  private static final int EVENTS = 4;

  /** Long enough for a child JVM on a busy 2-core machine; a passing run waits far less. */
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  /** The Job creations the mock API server answered, in the order it answered them. */
  private final List<JobPostRecorder.JobPost> jobPosts = new CopyOnWriteArrayList<>();

  @RegisterExtension
  final MockCluster cluster =
      new MockCluster(
          expectations -> new JobPostRecorder(expectations, CrashChildMain.NAMESPACE, jobPosts));

  private final List<ChildJvm> children = new ArrayList<>();
  private final List<ProcessHandle> orphans = new ArrayList<>();
  private Connection held;

  /** The ids a child reported as accepted. */
  private static List<String> accepted(ChildJvm child) {
    return child.lines().stream()
        .filter(line -> line.startsWith("accepted "))
        .map(line -> line.substring("accepted ".length()))
        .toList();
  }

  @AfterEach
  void killEverything() throws InterruptedException {
    for (ChildJvm child : children) {
      child.process().destroyForcibly();
      child.process().waitFor(10, TimeUnit.SECONDS);
    }
    if (held != null) {
      try {
        held.close();
      } catch (SQLException e) {
        // the database goes with the temporary directory
      }
    }
    // a failed test must not leave its sleeping steps behind
    orphans.forEach(TestProcesses::killTree);
  }

  @Test
  void localRunsKilledMidStepCompleteAfterRestartRunningOnlyTheInterruptedStepAgain()
      throws Exception {
    ChildJvm first = start("local", EVENTS, null, 1);
    List<String> accepted = awaitPublished(first);
    assertThat(accepted).containsExactlyElementsOf(ids());
    await()
        .atMost(WAIT)
        .alias("every run's first b recorded its pid; child log:\n" + first.tail())
        .until(() -> accepted.stream().allMatch(id -> Files.exists(dir.resolve("pid-" + id))));
    for (String id : accepted) {
      orphans.add(TestProcesses.runningOrFail(Long.parseLong(lines("pid-" + id).get(0).trim())));
    }

    kill(first);
    holdDatabase();

    assertThat(orphans)
        .as("b's processes, in their own session, outlive the SIGKILLed Caravan")
        .allMatch(TestProcesses::alive);
    JdbcRunStore runs = runs();
    for (String id : accepted) {
      assertThat(runsOf(runs, id))
          .singleElement()
          .extracting(RunView::status)
          .isEqualTo(RunStatus.RUNNING);
    }

    ChildJvm second = start("local", 0, null, 2);
    awaitAllSucceeded(runs, accepted, second);

    for (String id : accepted) {
      assertThat(lines("a-" + id))
          .as("a of %s ended before the crash: not run again", id)
          .hasSize(1);
      assertThat(lines("b-" + id)).as("b of %s was in flight: run again once", id).hasSize(2);
      assertThat(lines("c-" + id)).as("c of %s", id).hasSize(1);
      assertThat(journal().steps(runsOf(runs, id).get(0).id()))
          .extracting(
              step -> step.name() + ":" + step.record().attempt() + ":" + step.record().status())
          .containsExactly("a:1:SUCCEEDED", "b:1:SUCCEEDED", "c:1:SUCCEEDED");
    }
    assertThat(orphans)
        .as("the restarted Caravan killed the orphaned b processes before running b again")
        .noneMatch(TestProcesses::alive);
    assertThat(allRuns(runs))
        .extracting(RunView::eventId)
        .as("no run without an accepted event, no process without a run")
        .containsExactlyInAnyOrderElementsOf(accepted);
    assertThat(second.process().isAlive()).as("second child still running").isTrue();
  }

  @Test
  void kubernetesRunsKilledMidStepCompleteAfterRestartCreatingEachJobOnce() throws Exception {
    KubernetesMockServer server = cluster.server();
    KubernetesClient client = cluster.client();
    KubeletStandIn kubelet = cluster.kubelet();
    CompletableFuture<Void> releaseB = new CompletableFuture<>();
    kubelet.on("a", succeed("log of a\n"));
    kubelet.on("b", succeed("log of b\n").after(releaseB));
    kubelet.on("c", succeed("log of c\n"));
    String url = server.url("/");

    ChildJvm first = start("kubernetes", EVENTS, url, 1);
    List<String> accepted = awaitPublished(first);
    assertThat(accepted).containsExactlyElementsOf(ids());
    await()
        .atMost(WAIT)
        .alias("every run's Job for b exists; child log:\n" + first.tail())
        .until(() -> jobsOfStep(client, "b").size() == accepted.size());

    kill(first);
    holdDatabase();

    JdbcRunStore runs = runs();
    for (String id : accepted) {
      assertThat(runsOf(runs, id))
          .singleElement()
          .extracting(RunView::status)
          .isEqualTo(RunStatus.RUNNING);
    }
    ChildJvm second = start("kubernetes", 0, url, 2);
    // let the second Caravan take the runs over (lease 1 s) while b's Jobs still run
    await()
        .atMost(WAIT)
        .alias("the second Caravan took the runs over; child log:\n" + second.tail())
        .until(() -> second.tail().contains("Re-attaching to existing Job"));
    releaseB.complete(null);
    awaitAllSucceeded(runs, accepted, second);

    assertThat(jobPosts)
        .extracting(JobPostRecorder.JobPost::code)
        .as("answers to Job POSTs")
        .containsOnly(201);
    Map<String, Long> postsPerRunAndStep = JobPostRecorder.perRunAndStep(jobPosts);
    Map<String, Long> expected = new TreeMap<>();
    for (String id : accepted) {
      String runId = runsOf(runs, id).get(0).id();
      for (String step : List.of("a", "b", "c")) {
        expected.put(runId + "/" + step, 1L);
      }
      assertThat(journal().steps(runId))
          .allSatisfy(
              step -> {
                assertThat(step.record().status()).isEqualTo(StepStatus.SUCCEEDED);
                assertThat(step.record().attempt()).isEqualTo(1);
                assertThat(
                        journal()
                            .log(runId, step.name(), step.fanOutIndex(), step.record().attempt()))
                    .isEqualTo("log of " + step.name() + "\n");
              })
          .extracting(StepView::name)
          .containsExactlyInAnyOrder("a", "b", "c");
    }
    assertThat(postsPerRunAndStep)
        .as("Job POSTs across both Caravan JVMs, per run and step")
        .isEqualTo(expected);
    List<String> runIds = allRuns(runs).stream().map(RunView::id).toList();
    assertThat(client.batch().v1().jobs().inNamespace(CrashChildMain.NAMESPACE).list().getItems())
        .as("every Job in the cluster belongs to a run in the database")
        .hasSize(3 * accepted.size())
        .allSatisfy(
            job -> assertThat(runIds).contains(job.getMetadata().getLabels().get(JobLabels.RUN)));
    assertThat(allRuns(runs))
        .extracting(RunView::eventId)
        .containsExactlyInAnyOrderElementsOf(accepted);
    assertThat(kubelet.errors()).as("the stand-in kubelet's own API calls").isEmpty();
  }

  // helpers

  private static List<Job> jobsOfStep(KubernetesClient client, String step) {
    return client
        .batch()
        .v1()
        .jobs()
        .inNamespace(CrashChildMain.NAMESPACE)
        .withLabel(JobLabels.STEP, step)
        .list()
        .getItems();
  }

  private static List<String> ids() {
    return IntStream.range(0, EVENTS).mapToObj(i -> "e-" + i).toList();
  }

  /**
   * The child's database; AUTO_SERVER lets the test read it while a child has it open (H2 locks a
   * file database to one process otherwise).
   */
  private String jdbcUrl() {
    return "jdbc:h2:file:" + dir.resolve("db") + ";WRITE_DELAY=0;AUTO_SERVER=TRUE";
  }

  private ChildJvm start(String mode, int publish, String url, int number) throws IOException {
    List<String> args =
        new ArrayList<>(List.of(mode, jdbcUrl(), dir.toString(), String.valueOf(publish)));
    if (url != null) {
      args.add(url);
    }
    ChildJvm child =
        ChildJvm.start(
            dir.resolve("child-" + number + ".log"),
            List.of(),
            CrashChildMain.class.getName(),
            args,
            false);
    children.add(child);
    return child;
  }

  /** Waits for the child's "published"; returns the ids it accepted. */
  private static List<String> awaitPublished(ChildJvm child) {
    await()
        .atMost(WAIT)
        .alias("child published; log:\n" + child.tail())
        .until(() -> child.lines().contains("published") || child.lines().contains(ChildJvm.EOF));
    assertThat(child.lines())
        .as("child report; log:%n%s", child.tail())
        .contains("published")
        .noneMatch(line -> line.startsWith("failed "));
    return accepted(child);
  }

  private static void kill(ChildJvm child) throws InterruptedException {
    child.process().destroyForcibly(); // SIGKILL
    assertThat(child.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(child.process().exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
  }

  /**
   * Once the first child is dead, the test keeps a connection open for the rest of the test, so
   * that its JVM serves the database (AUTO_SERVER) to the second child throughout: a database whose
   * serving process closes it in between would drop the child's connections.
   */
  private void holdDatabase() {
    JdbcDataSource database = new JdbcDataSource();
    database.setURL(jdbcUrl());
    database.setUser("sa");
    database.setPassword("");
    // the killed child's lock file is taken over once H2 sees it is stale
    held =
        await()
            .atMost(WAIT)
            .ignoreExceptions()
            .until(database::getConnection, connection -> connection != null);
  }

  private JdbcRunStore runs() {
    return new JdbcRunStore(database());
  }

  private JdbcStepJournal journal() {
    return new JdbcStepJournal(database());
  }

  private JdbcDataSource database() {
    JdbcDataSource database = new JdbcDataSource();
    database.setURL(jdbcUrl());
    database.setUser("sa");
    database.setPassword("");
    return database;
  }

  private static List<RunView> runsOf(JdbcRunStore runs, String eventId) {
    return runs.runs(CrashChildMain.PIPELINE, null, eventId, 10, 0);
  }

  private static List<RunView> allRuns(JdbcRunStore runs) {
    return runs.runs(CrashChildMain.PIPELINE, null, null, 1000, 0);
  }

  private static void awaitAllSucceeded(JdbcRunStore runs, List<String> accepted, ChildJvm child) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .alias("all runs SUCCEEDED; child log:\n" + child.tail())
        .untilAsserted(
            () ->
                assertThat(accepted)
                    .allSatisfy(
                        id ->
                            assertThat(runsOf(runs, id))
                                .as("runs of %s", id)
                                .singleElement()
                                .extracting(RunView::status)
                                .isEqualTo(RunStatus.SUCCEEDED)));
  }

  private List<String> lines(String file) throws IOException {
    Path path = dir.resolve(file);
    return Files.exists(path) ? Files.readAllLines(path) : List.of();
  }
}
