package dev.caravan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.bench.BenchMain.Row;
import dev.caravan.gateway.Signatures;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * (8) End-to-end runs: signed GitHub deliveries through {@code /events/github} at a fixed rate
 * (open loop) into {@code bench-e2e}, a pipeline with one local {@code true} step, for a number of
 * seconds, after the same load for some seconds (the warm-up, reported apart). Measures the runs
 * SUCCEEDED per second and, per run, the time from the delivery's 202 (the event is committed
 * before it) to the run's end as the runs API records it; the baseline is the machine's raw spawn
 * rate of {@code /bin/sh -c true} from plain Java, as many threads as the pipeline's runs in
 * flight.
 */
final class EndToEndRuns {

  static final String PIPELINE = "bench-e2e";

  /** The event consumer's default {@code concurrency}: runs of one pipeline in flight at once. */
  static final int RUNS_IN_FLIGHT = 10;

  /**
   * The open-loop generator gives a delivery up (counted as not accepted) when this many are
   * unanswered, so that a server that falls behind does not make it open ever more connections.
   */
  static final int MAX_UNANSWERED = 256;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] BODY =
      ("{\"action\":\"started\",\"repository\":{\"full_name\":\"octo/hello\","
              + "\"clone_url\":\"https://github.com/octo/hello.git\"},\"sender\":{\"login\":\"bench\"}}")
          .getBytes(StandardCharsets.UTF_8);
  private static final String SIGNATURE =
      "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", BenchApp.SECRET, BODY));

  private EndToEndRuns() {}

  static List<Row> measure(int rate, int seconds, int warmSeconds) throws Exception {
    try (BenchApp app = BenchApp.start()) {
      return measure(app, rate, seconds, warmSeconds);
    }
  }

  /** The same with the app's store in an embedded PostgreSQL (a server process of its own). */
  static List<Row> measureOnPostgres(int rate, int seconds, int warmSeconds) throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
        BenchApp app =
            BenchApp.start(
                List.of(
                    "--spring.datasource.url=" + postgres.getJdbcUrl("postgres", "postgres"),
                    "--spring.datasource.username=postgres"))) {
      return measure(app, rate, seconds, warmSeconds).stream()
          .map(row -> row.withScenario("end-to-end runs, PostgreSQL"))
          .toList();
    }
  }

  /**
   * @param warmSeconds how long the same load is offered before the measured phase (reported in a
   *     row of its own, not in the goal's): a JVM just started runs interpreted and C1-compiled
   *     code, and its first seconds at this rate are those of its JIT compiler, not of its steady
   *     state
   */
  static List<Row> measure(BenchApp app, int rate, int seconds, int warmSeconds) throws Exception {
    String prefix = "e2e-" + Long.toHexString(System.nanoTime());
    // warm-up (not counted): class loading, first compilations, the process launcher
    long before = ended(app);
    int firstRuns = Math.min(500, rate * seconds);
    sendClosedLoop(app, prefix + "-first", firstRuns, 8);
    waitForRuns(app, before + firstRuns, Duration.ofSeconds(120));

    Offered warm = offer(app, prefix + "-warm", rate, warmSeconds);
    waitForRuns(app, before + firstRuns + warm.accepted().size(), drainTime(warmSeconds));
    Offered offered = offer(app, prefix, rate, seconds);
    Duration drain = drainTime(seconds);
    waitForRuns(
        app, before + firstRuns + warm.accepted().size() + offered.accepted().size(), drain);

    List<JsonNode> runs = runsOf(app);
    Phase measured = Phase.of(offered, runs);
    Phase warming = Phase.of(warm, runs);
    double spawns = rawSpawnRate(RUNS_IN_FLIGHT, Math.min(seconds, 10));
    String load = offered.total() + " deliveries offered at " + rate + "/s for " + seconds + " s";
    String scenario = "end-to-end runs";
    double p99 = measured.p99();
    int failures = offered.refused() + offered.notSent() + measured.otherwise();
    return List.of(
        new Row(
            scenario,
            "runs SUCCEEDED per second ("
                + load
                + " after "
                + warmSeconds
                + " s of the same load, one local `true` step each; first 202 to last run ended)"
                + " vs raw /bin/sh -c true spawns per second from Java, "
                + RUNS_IN_FLIGHT
                + " threads",
            "runs/s",
            measured.runsPerSecond(),
            spawns,
            measured.runsPerSecond() / spawns,
            ">= 150 runs/s with p99 < 1 s",
            measured.runsPerSecond() >= 150 && p99 < 1000),
        new Row(
            scenario,
            "delivery's 202 -> run ended, latency p50 (" + load + ")",
            "ms",
            measured.p50(),
            null,
            null,
            "-",
            null),
        new Row(
            scenario,
            "delivery's 202 -> run ended, latency p99 (" + load + ")",
            "ms",
            p99,
            null,
            null,
            "< 1000 ms",
            p99 < 1000),
        new Row(
            scenario,
            "deliveries not accepted (non-202, transport errors: "
                + offered.refused()
                + "; given up at "
                + MAX_UNANSWERED
                + " unanswered: "
                + offered.notSent()
                + ") + runs not SUCCEEDED (within "
                + drain.toSeconds()
                + " s of the last answer: "
                + measured.otherwise()
                + ")",
            "count",
            failures,
            null,
            null,
            "0",
            failures == 0),
        new Row(
            scenario,
            "the warm-up: the same load for the "
                + warmSeconds
                + " s before (a JVM started seconds earlier, its JIT compiler at work),"
                + " latency p99; runs/s "
                + String.format(Locale.ROOT, "%.0f", warming.runsPerSecond())
                + ", p50 "
                + String.format(Locale.ROOT, "%.0f", warming.p50())
                + " ms, not accepted + not SUCCEEDED "
                + (warm.refused() + warm.notSent() + warming.otherwise()),
            "ms",
            warming.p99(),
            null,
            null,
            "- (reported)",
            null));
  }

  private static Duration drainTime(int seconds) {
    return Duration.ofSeconds(Math.max(120, seconds * 2L));
  }

  /** What a load phase sent: the moment each accepted delivery's 202 arrived, and the rest. */
  private record Offered(int total, Map<String, Instant> accepted, int refused, int notSent) {}

  /** The runs of one phase's accepted deliveries, as the runs API has them. */
  private record Phase(double runsPerSecond, double p50, double p99, int otherwise) {

    static Phase of(Offered offered, List<JsonNode> runs) {
      List<Double> latencies = new ArrayList<>();
      int succeeded = 0;
      Instant lastEnded = Instant.MIN;
      for (JsonNode run : runs) {
        Instant acceptedAt = offered.accepted().get(run.path("event").asText());
        if (acceptedAt == null) {
          continue; // a run of another phase, or of an earlier scenario
        }
        if (!"SUCCEEDED".equals(run.path("status").asText()) || run.path("ended").isNull()) {
          continue;
        }
        succeeded++;
        Instant ended = Instant.parse(run.path("ended").asText());
        lastEnded = ended.isAfter(lastEnded) ? ended : lastEnded;
        latencies.add(Duration.between(acceptedAt, ended).toNanos() / 1e6);
      }
      if (succeeded == 0) {
        throw new IllegalStateException("no run of " + PIPELINE + " succeeded");
      }
      Instant first = offered.accepted().values().stream().min(Instant::compareTo).orElseThrow();
      double window = Duration.between(first, lastEnded).toNanos() / 1e9;
      double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      // not SUCCEEDED, not ended, or not even taken from the queue yet
      return new Phase(
          succeeded / window,
          BenchMain.percentile(sorted, 50),
          BenchMain.percentile(sorted, 99),
          offered.accepted().size() - succeeded);
    }
  }

  /**
   * Offers signed deliveries at a fixed rate (open loop) for the given seconds and waits for every
   * answer.
   */
  private static Offered offer(BenchApp app, String prefix, int rate, int seconds)
      throws Exception {
    int total = rate * seconds;
    Map<String, Instant> accepted = new ConcurrentHashMap<>();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger notSent = new AtomicInteger();
    Semaphore unanswered = new Semaphore(MAX_UNANSWERED);
    CountDownLatch answered = new CountDownLatch(total);
    long period = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      BenchMain.waitUntil(start + i * period);
      String id = prefix + "-" + i;
      if (!unanswered.tryAcquire()) {
        notSent.incrementAndGet();
        answered.countDown();
        continue;
      }
      app.client()
          .sendAsync(delivery(app, id), HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (answer, error) -> {
                if (error == null && answer.statusCode() == 202) {
                  accepted.put(id, Instant.now());
                } else {
                  refused.incrementAndGet();
                }
                unanswered.release();
                answered.countDown();
              });
    }
    if (!answered.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("deliveries unanswered after 120 s");
    }
    return new Offered(total, accepted, refused.get(), notSent.get());
  }

  private static HttpRequest delivery(BenchApp app, String id) {
    return HttpRequest.newBuilder(app.uri("/events/github"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("X-GitHub-Event", "watch")
        .header("X-GitHub-Delivery", id)
        .header("X-Hub-Signature-256", SIGNATURE)
        .POST(HttpRequest.BodyPublishers.ofByteArray(BODY))
        .build();
  }

  /** Sends {@code count} deliveries from {@code clients} threads, each waiting for its answer. */
  static void sendClosedLoop(BenchApp app, String prefix, int count, int clients) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        HttpRequest request = delivery(app, prefix + "-" + i);
        answers.add(
            pool.submit(
                () ->
                    app.client()
                        .send(request, HttpResponse.BodyHandlers.discarding())
                        .statusCode()));
      }
      for (Future<Integer> answer : answers) {
        int status = answer.get(60, TimeUnit.SECONDS);
        if (status != 202) {
          throw new IllegalStateException("a delivery was answered " + status);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Waits until the pipeline has at least {@code count} ended runs, or no run ended for a while.
   */
  private static void waitForRuns(BenchApp app, long count, Duration atMost) throws Exception {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (ended(app) < count) {
      if (System.nanoTime() > deadline) {
        return; // the rows report the runs that did not end
      }
      Thread.sleep(200);
    }
  }

  private static long ended(BenchApp app) throws Exception {
    long ended = 0;
    for (String status : List.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELED")) {
      ended +=
          JSON.readTree(
                  app.get("/api/runs?pipeline=" + PIPELINE + "&status=" + status + "&limit=1"))
              .path("total")
              .asLong();
    }
    return ended;
  }

  /** Every run of the pipeline, through the runs API, 500 a page. */
  private static List<JsonNode> runsOf(BenchApp app) throws Exception {
    List<JsonNode> runs = new ArrayList<>();
    for (int offset = 0; ; offset += 500) {
      JsonNode page =
          JSON.readTree(app.get("/api/runs?pipeline=" + PIPELINE + "&limit=500&offset=" + offset));
      page.path("items").forEach(runs::add);
      if (page.path("items").size() < 500) {
        return runs;
      }
    }
  }

  /** Spawns of {@code /bin/sh -c true} per second from {@code threads} threads of plain Java. */
  static double rawSpawnRate(int threads, int seconds) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      BenchMain.rawSpawns(20); // warm-up
      AtomicInteger spawned = new AtomicInteger();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long start = System.nanoTime();
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        workers.add(
            pool.submit(
                () -> {
                  while (System.nanoTime() < end) {
                    BenchMain.rawSpawns(1);
                    spawned.incrementAndGet();
                  }
                  return null;
                }));
      }
      for (Future<?> worker : workers) {
        worker.get(seconds + 60L, TimeUnit.SECONDS);
      }
      return spawned.get() / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }
}
