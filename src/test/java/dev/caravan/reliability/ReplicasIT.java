package dev.caravan.reliability;

import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.succeed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.app.CaravanApplication;
import dev.caravan.event.PostgresServer;
import dev.caravan.gateway.Signatures;
import dev.caravan.kjob.kubernetes.MockCluster;
import dev.caravan.reliability.JobPostRecorder.JobPost;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.RunFilter;
import dev.caravan.run.RunStatus;
import dev.caravan.run.RunView;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Three Caravan replicas, each the app in a JVM of its own, on one embedded PostgreSQL and one mock
 * API server with the stand-in kubelet: signed GitHub deliveries spread over the three gateways
 * (some delivered again to another replica, as GitHub does after a timeout) run once each, with one
 * Job per step; when one replica is killed with SIGKILL mid-run, its runs finish on the others
 * without a Job created twice.
 */
class ReplicasIT {

  private static final String SECRET = "replicas-secret";
  private static final String NAMESPACE = "replicas";
  private static final String PIPELINE = "replicated";

  /** One concurrency group of one run at a time, across every replica. */
  private static final String GROUPED = "one-at-a-time";

  private static final int REPLICAS = 3;

  private static final String CRON_POD_LABEL = "app";
  private static final String CRON_POD_VALUE = "caravan-replica";

  /** Leases short enough for the test; the first look of the others comes within a poll. */
  private static final Duration LEASE = Duration.ofSeconds(3);

  /** Three app JVMs starting at once on a busy 2-core machine; a passing run waits far less. */
  private static final Duration START = Duration.ofSeconds(180);

  private static final Duration WAIT = Duration.ofSeconds(120);

  @RegisterExtension static final PostgresServer postgres = new PostgresServer("replicas");

  private final List<JobPost> jobPosts = new CopyOnWriteArrayList<>();

  @RegisterExtension
  final MockCluster cluster =
      new MockCluster(expectations -> new JobPostRecorder(expectations, NAMESPACE, jobPosts));

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final List<Replica> replicas = new ArrayList<>();

  /** Whether the replicas started next run the cron gateway, each as the pod of its name. */
  private boolean cron;

  private String jdbcUrl;
  private PGSimpleDataSource database;
  private JdbcRunStore runStore;

  /** One Caravan JVM and the port its gateways answer on. */
  private record Replica(ChildJvm jvm, int port) {}

  @BeforeEach
  void database() throws SQLException {
    jdbcUrl = postgres.freshDatabaseUrl();
    database = new PGSimpleDataSource();
    database.setURL(jdbcUrl);
    runStore = new JdbcRunStore(database);
  }

  @AfterEach
  void stopReplicas() throws InterruptedException {
    for (Replica replica : replicas) {
      replica.jvm().process().destroyForcibly();
      replica.jvm().process().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void everyDeliveryRunsOnceAcrossThreeReplicasWithOneJobPerStep() throws Exception {
    cluster.kubelet().on("build", succeed("built\n"));
    startReplicas();
    int events = Integer.getInteger("caravan.replicas.events", 1000);

    List<String> ids = IntStream.range(0, events).mapToObj(i -> "delivery-" + i).toList();
    for (int i = 0; i < events; i++) {
      assertThat(deliver(replicas.get(i % REPLICAS), ids.get(i))).isEqualTo(202);
      if (i % 10 == 0) {
        // GitHub delivers again when an answer was late, to whichever replica its balancer picks:
        // 200, the event is stored already
        assertThat(deliver(replicas.get((i + 1) % REPLICAS), ids.get(i))).isEqualTo(200);
      }
    }

    awaitSucceeded(PIPELINE, ids.size(), WAIT);
    assertThat(runsPerEvent()).as("runs per event").hasSize(events).containsOnlyKeys(ids);
    assertThat(runsPerEvent().values()).as("runs per event").containsOnly(1L);
    assertOneJobPerRun(events);
    assertThat(owners()).as("replicas that ran runs").hasSizeGreaterThan(1);
    assertThat(cluster.kubelet().errors()).as("the stand-in kubelet's own API calls").isEmpty();
  }

  @Test
  void runsOfAKilledReplicaFinishOnTheOthersWithoutAJobCreatedTwice() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    cluster.kubelet().on("build", succeed("built\n").after(release));
    startReplicas();
    List<String> ids = IntStream.range(0, 30).mapToObj(i -> "held-" + i).toList();
    for (int i = 0; i < ids.size(); i++) {
      assertThat(deliver(replicas.get(i % REPLICAS), ids.get(i))).isEqualTo(202);
    }
    // every run's Job exists and waits: the runs are mid-step on all three replicas
    await().atMost(WAIT).until(() -> jobPosts.size() == ids.size());
    Map<String, Long> before = owners();
    assertThat(before).as("replicas with runs in flight").hasSize(REPLICAS);

    Replica killed = replicas.get(0);
    killed.jvm().process().destroyForcibly(); // SIGKILL
    assertThat(killed.jvm().process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    release.complete(null);

    awaitSucceeded(PIPELINE, ids.size(), LEASE.plusSeconds(10));
    assertThat(takenOver()).as("runs resumed by another replica").isPositive();
    assertOneJobPerRun(ids.size());
    assertThat(cluster.kubelet().errors()).as("the stand-in kubelet's own API calls").isEmpty();
  }

  @Test
  void whatOneReplicaRunsEveryReplicaShowsAndStreams() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    cluster.kubelet().on("build", succeed("built on a Job\n").after(release));
    startReplicas();
    Replica watching = replicas.get(2);
    List<String> changes = new CopyOnWriteArrayList<>();
    http.sendAsync(
            HttpRequest.newBuilder(uri(watching, "/api/stream?pipeline=" + PIPELINE))
                .header("Accept", "text/event-stream")
                .build(),
            HttpResponse.BodyHandlers.ofLines())
        .thenAccept(answer -> answer.body().forEach(changes::add));

    assertThat(deliver(replicas.get(0), "watched")).isEqualTo(202);
    await().atMost(WAIT).until(() -> jobPosts.size() == 1);
    String runId = runIds().get(0);
    List<CompletableFuture<HttpResponse<String>>> follows = new ArrayList<>();
    for (Replica replica : replicas) {
      assertThat(get(replica, "/api/runs/" + runId))
          .as("the run as replica on port %d shows it", replica.port())
          .contains("\"status\":\"RUNNING\"")
          .contains("\"name\":\"build\"");
      follows.add(
          http.sendAsync(
              HttpRequest.newBuilder(
                      uri(replica, "/api/runs/" + runId + "/steps/build/logs?follow=true"))
                  .timeout(WAIT)
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }

    release.complete(null);
    for (CompletableFuture<HttpResponse<String>> follow : follows) {
      // each follower ends with the step, whichever replica it follows through
      assertThat(follow.get(WAIT.toSeconds(), TimeUnit.SECONDS).body()).contains("built on a Job");
    }
    for (Replica replica : replicas) {
      assertThat(get(replica, "/api/runs/" + runId)).contains("\"status\":\"SUCCEEDED\"");
    }
    await()
        .atMost(WAIT)
        .alias("replica 2's change stream shows the run's end")
        .until(
            () ->
                changes.stream()
                    .anyMatch(
                        line ->
                            line.startsWith("data:")
                                && line.contains("\"id\":\"" + runId + "\"")
                                && line.contains("\"status\":\"SUCCEEDED\"")));
  }

  @Test
  void cronFiresEachTickOnTheLeaseHolderOnlyAndAnotherReplicaTakesOver() throws Exception {
    for (int n = 0; n < REPLICAS; n++) {
      MockCluster.runningPod(
          cluster.client(), NAMESPACE, podName(n), Map.of(CRON_POD_LABEL, CRON_POD_VALUE));
    }
    cron = true;
    startReplicas();
    await().atMost(WAIT).until(() -> ticks().size() >= 5);

    String holder = leaseHolder();
    assertThat(holder).isIn(podName(0), podName(1), podName(2));
    assertThat(leaders())
        .as("replicas whose cron consumer started (the Lease holder's only)")
        .containsExactly(holder);
    List<Long> firstTicks = ticks();
    assertThat(firstTicks.get(firstTicks.size() - 1) - firstTicks.get(0))
        .as("one event per second, none missing, none twice: %s", firstTicks)
        .isEqualTo(firstTicks.size() - 1L);

    int leader = Integer.parseInt(holder.substring(holder.lastIndexOf('-') + 1));
    replicas.get(leader).jvm().process().destroyForcibly(); // SIGKILL
    assertThat(replicas.get(leader).jvm().process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    // the node notices: the pod is gone, and with it its claim on the Lease
    cluster.client().pods().inNamespace(NAMESPACE).withName(holder).delete();
    long killedAt = System.currentTimeMillis() / 1000;

    await().atMost(WAIT).until(() -> !holder.equals(leaseHolder()) && leaseHolder() != null);
    await().atMost(WAIT).until(() -> ticks().stream().filter(t -> t > killedAt + 1).count() >= 3);
    String next = leaseHolder();
    assertThat(leaders()).as("the replicas that led, the killed one first").contains(holder, next);
    List<Long> after = ticks().stream().filter(t -> t > killedAt + 1).toList();
    assertThat(after.get(after.size() - 1) - after.get(0))
        .as("the new leader fires every tick: %s", after)
        .isEqualTo(after.size() - 1L);
  }

  private static String podName(int n) {
    return "replica-" + n;
  }

  private String leaseHolder() {
    Lease lease = cluster.client().leases().inNamespace(NAMESPACE).withName("caravan-cron").get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** The pods of the replicas whose cron consumer took the leadership, in the order they did. */
  private List<String> leaders() {
    List<String> leaders = new ArrayList<>();
    for (int n = 0; n < replicas.size(); n++) {
      if (replicas.get(n).jvm().lines().stream()
          .anyMatch(
              line -> line.contains("Leadership taken") && line.contains("Consumer started"))) {
        leaders.add(podName(n));
      }
    }
    return leaders;
  }

  /** The seconds the cron ticks stored were scheduled for, in order. */
  private List<Long> ticks() throws SQLException {
    List<Long> ticks = new ArrayList<>();
    try (Connection connection = database.getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT event_time FROM caravan_event WHERE type = 'cron:tick' ORDER BY event_time")) {
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          ticks.add(rows.getObject(1, OffsetDateTime.class).toEpochSecond());
        }
      }
    }
    return ticks;
  }

  /**
   * The deliveries reach the three gateways at once, and each replica admits the runs it takes
   * under the group's lock in the shared store: a group counted per replica would start runs on two
   * replicas at the same time, and their spans would overlap.
   */
  @Test
  void aConcurrencyGroupOfOneRunsOneRunAtATimeAcrossTheReplicas() throws Exception {
    cluster.kubelet().on("triage", succeed("triaged\n"));
    startReplicas();
    int events = 12;
    for (int i = 0; i < events; i++) {
      assertThat(
              deliver(
                  replicas.get(i % REPLICAS),
                  "issue-" + i,
                  "issues",
                  "{\"action\":\"opened\",\"issue\":{\"number\":"
                      + i
                      + "},"
                      + "\"repository\":{\"full_name\":\"octo/hello\"}}"))
          .isEqualTo(202);
    }

    awaitSucceeded(GROUPED, events, WAIT);
    List<RunView> spans =
        runsOf(GROUPED).stream().sorted(Comparator.comparing(RunView::started)).toList();
    assertThat(spans).hasSize(events);
    for (int i = 1; i < spans.size(); i++) {
      assertThat(spans.get(i).started())
          .as("run %d of the group started after the one before ended", i)
          .isAfterOrEqualTo(spans.get(i - 1).ended());
    }
  }

  @Test
  void aRollingRestartOfEveryReplicaLosesNoDeliveryAndRunsNoStepTwice() throws Exception {
    cluster.kubelet().on("build", succeed("built\n"));
    startReplicas();
    List<Replica> live = new CopyOnWriteArrayList<>(replicas);
    List<String> accepted = new CopyOnWriteArrayList<>();
    AtomicBoolean sending = new AtomicBoolean(true);
    CompletableFuture<Void> sender =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; sending.get(); i++) {
                String id = "rolling-" + i;
                if (deliverToAnyOf(live, id, i)) {
                  accepted.add(id);
                }
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
              }
            });

    for (int n = 0; n < REPLICAS; n++) {
      Replica old = replicas.get(n);
      live.remove(old);
      old.jvm().process().destroy(); // SIGTERM: the pod's termination
      assertThat(old.jvm().process().waitFor(90, TimeUnit.SECONDS))
          .as("replica %d stopped; log:%n%s", n, old.jvm().tail())
          .isTrue();
      Replica restarted = startReplica(REPLICAS + n, routesFile());
      replicas.add(restarted);
      awaitHealthy(restarted);
      live.add(restarted);
    }
    sending.set(false);
    sender.get(60, TimeUnit.SECONDS);

    assertThat(accepted).hasSizeGreaterThan(REPLICAS * 10);
    awaitSucceeded(PIPELINE, accepted.size(), WAIT);
    assertThat(runsPerEvent()).as("runs per accepted event").containsOnlyKeys(accepted);
    assertThat(runsPerEvent().values()).as("runs per event").containsOnly(1L);
    assertOneJobPerRun(accepted.size());
  }

  /**
   * Delivers as GitHub does until a replica answers: to one replica, and again to the next when a
   * stopping replica does not answer (the same delivery id).
   */
  private boolean deliverToAnyOf(List<Replica> live, String id, int turn) {
    for (int attempt = 0; attempt < 2 * REPLICAS; attempt++) {
      List<Replica> now = List.copyOf(live);
      if (now.isEmpty()) {
        continue;
      }
      try {
        int status = deliver(now.get((turn + attempt) % now.size()), id);
        if (status == 202 || status == 200) {
          return true;
        }
      } catch (Exception notAnswered) {
        // the replica is going down: the next one gets the same delivery
      }
    }
    return false;
  }

  // the replicas

  private Path routesFile() {
    return dir.resolve("pipeline.yaml");
  }

  private void startReplicas() throws Exception {
    Path routes = routesFile();
    Files.writeString(
        routes,
        """
        - route:
            id: %s
            from:
              uri: event:github
              parameters:
                types: push
              steps:
                - to:
                    uri: kjob:build
                    parameters:
                      image: busybox
                      script: "true"
        - route:
            id: %s
            from:
              uri: event:github
              parameters:
                types: "issues:opened"
                concurrencyLimit: 1
              steps:
                - delay:
                    constant: 300
                - to:
                    uri: kjob:triage
                    parameters:
                      image: busybox
                      script: "true"
        """
            .formatted(PIPELINE, GROUPED));
    for (int n = 0; n < REPLICAS; n++) {
      replicas.add(startReplica(n, routes));
    }
    for (Replica replica : replicas) {
      awaitHealthy(replica);
    }
  }

  private void awaitHealthy(Replica replica) {
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(500))
        .alias("replica on port " + replica.port() + " healthy; log:\n" + replica.jvm().tail())
        .until(() -> healthy(replica));
  }

  private Replica startReplica(int n, Path routes) throws IOException {
    int port = freePort();
    List<String> jvm =
        List.of(
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-Dkubernetes.master=" + cluster.server().url("/"),
            "-Dkubernetes.namespace=" + NAMESPACE,
            "-Dkubernetes.trust.certificates=true",
            "-Dkubernetes.auth.tryKubeConfig=false",
            "-Dkubernetes.auth.tryServiceAccount=false");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--server.address=127.0.0.1",
                "--server.port=" + port,
                "--spring.main.banner-mode=off",
                "--spring.datasource.url=" + jdbcUrl,
                "--spring.datasource.username=" + PostgresServer.USER,
                "--caravan.data-dir=" + dir.resolve("replica-" + n),
                "--caravan.github.webhook-secret=" + SECRET,
                "--caravan.retention.enabled=false",
                "--caravan.runs.lease-timeout=" + LEASE.toSeconds() + "s",
                "--camel.component.event.poll-interval=1000",
                "--camel.component.kjob.executor=kubernetes",
                "--camel.component.kjob.namespace=" + NAMESPACE,
                "--camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
                    + "classpath:routes/gateways/github.yaml,classpath:routes/gateways/cron.yaml,file:"
                    + routes,
                "--logging.level.root=WARN",
                "--logging.level.dev.caravan=INFO",
                "--logging.level.org.apache.camel.component.master=INFO"));
    if (cron) {
      // every second, on the leader of the Lease only; each replica is the pod of its name
      args.addAll(
          List.of(
              "--caravan.cron.schedules.tick=0/1 * * * * ?",
              "--caravan.cron.leader-election=true",
              "--caravan.cron.lease-namespace=" + NAMESPACE,
              "--caravan.cron.pod-name=" + podName(n),
              "--caravan.cron.pod-selector=" + CRON_POD_LABEL + "=" + CRON_POD_VALUE));
    }
    ChildJvm child =
        ChildJvm.start(
            dir.resolve("replica-" + n + ".log"),
            jvm,
            CaravanApplication.class.getName(),
            args,
            true);
    return new Replica(child, port);
  }

  private boolean healthy(Replica replica) {
    if (!replica.jvm().process().isAlive()) {
      List<String> out = replica.jvm().lines();
      throw new AssertionError(
          "replica exited; its output:\n"
              + String.join("\n", out.subList(Math.max(0, out.size() - 60), out.size()))
              + "\nits error log:\n"
              + replica.jvm().tail());
    }
    try {
      return http.send(
                  HttpRequest.newBuilder(uri(replica, "/actuator/health"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private int deliver(Replica replica, String deliveryId) throws Exception {
    return deliver(
        replica,
        deliveryId,
        "push",
        "{\"ref\":\"refs/heads/main\",\"after\":\"abc\",\"repository\":{\"full_name\":"
            + "\"octo/hello\",\"clone_url\":\"https://github.com/octo/hello.git\"}}");
  }

  private int deliver(Replica replica, String deliveryId, String githubEvent, String json)
      throws Exception {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String signature =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body));
    return http.send(
            HttpRequest.newBuilder(uri(replica, "/events/github"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("X-GitHub-Event", githubEvent)
                .header("X-GitHub-Delivery", deliveryId)
                .header("X-Hub-Signature-256", signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private String get(Replica replica, String path) throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(uri(replica, path)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as("GET %s on port %d", path, replica.port()).isEqualTo(200);
    return answer.body();
  }

  private static URI uri(Replica replica, String path) {
    return URI.create("http://127.0.0.1:" + replica.port() + path);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  // what the shared store holds

  private void awaitSucceeded(String pipeline, int runs, Duration atMost) {
    await()
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(250))
        .alias("every run of " + pipeline + " SUCCEEDED; logs:\n" + tails())
        .until(
            () ->
                runStore.countRuns(new RunFilter(pipeline, RunStatus.SUCCEEDED, null, null, null))
                    >= runs);
  }

  /** Every run of the pipeline, as the runs API reads them. */
  private List<RunView> runsOf(String pipeline) {
    return runStore.runs(pipeline, null, null, Integer.MAX_VALUE, 0);
  }

  private String tails() {
    StringBuilder logs = new StringBuilder();
    for (Replica replica : replicas) {
      logs.append("--- replica on port ").append(replica.port()).append('\n');
      logs.append(replica.jvm().tail()).append('\n');
    }
    return logs.toString();
  }

  /** One Job POST per run, each answered 201, and each run's Job for its step. */
  private void assertOneJobPerRun(int runs) {
    assertThat(jobPosts).extracting(JobPost::code).as("answers to Job POSTs").containsOnly(201);
    Map<String, Long> expected = new TreeMap<>();
    for (String runId : runIds()) {
      expected.put(runId + "/build", 1L);
    }
    assertThat(expected).hasSize(runs);
    assertThat(JobPostRecorder.perRunAndStep(jobPosts))
        .as("Job POSTs across the replicas, per run and step")
        .isEqualTo(expected);
  }

  private Map<String, Long> runsPerEvent() {
    return runsOf(PIPELINE).stream()
        .collect(Collectors.groupingBy(RunView::eventId, TreeMap::new, Collectors.counting()));
  }

  private Map<String, Long> owners() throws SQLException {
    return ownersOf(PIPELINE);
  }

  /** How many runs of the pipeline each Caravan instance owns (or owned when they ended). */
  private Map<String, Long> ownersOf(String pipeline) throws SQLException {
    return grouped(
        "SELECT owner, COUNT(*) FROM caravan_run WHERE pipeline = ? GROUP BY owner", pipeline);
  }

  /** Runs started a second time: by another instance after their owner's lease expired. */
  private long takenOver() throws SQLException {
    return count("SELECT COUNT(*) FROM caravan_run WHERE attempts > 1");
  }

  private List<String> runIds() {
    return runsOf(PIPELINE).stream().map(RunView::id).toList();
  }

  private Map<String, Long> grouped(String sql, String pipeline) throws SQLException {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection connection = database.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, pipeline);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          counts.put(String.valueOf(rows.getString(1)), rows.getLong(2));
        }
      }
    }
    return counts;
  }

  private long count(String sql) throws SQLException {
    try (Connection connection = database.getConnection();
        PreparedStatement query = connection.prepareStatement(sql);
        ResultSet rows = query.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
