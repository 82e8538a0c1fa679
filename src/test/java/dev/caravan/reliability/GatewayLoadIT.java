package dev.caravan.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventConstants;
import dev.caravan.gateway.Signatures;
import dev.caravan.run.RetentionService;
import dev.caravan.run.RunStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

/**
 * Load: signed GitHub push deliveries through {@code /events/github} at a fixed rate (open loop,
 * default 200 requests/s for 60 s) on loopback, into the default H2 file store ({@code
 * WRITE_DELAY=0}) in a fresh data directory. No answer may be a 5xx or a transport error; every
 * accepted (202) event must be stored and its run of the subscribed test pipeline must end
 * SUCCEEDED. Prints the achieved rate, latency percentiles and the time until every run ended.
 * Before the measured minute, a warm-up (not counted, {@code -Dcaravan.load.warm-up}, default
 * 2,000) sends deliveries eight at a time and waits for their runs.
 *
 * <p>Meanwhile the retention policy runs with small limits ({@value #MAX_EVENTS} events, {@value
 * #MAX_RUNS} ended runs per pipeline, a pass every second): at the end the counts of events and
 * runs must stay under their limit plus one batch, and so must the events (beside those of runs in
 * flight) while sampled during the load, the ended runs under twice their limit; every event and
 * run must be either still stored or counted as deleted by the retention.
 *
 * <p>Tagged {@code load}: {@code mvn verify} leaves it out; {@code mvn -Pload
 * failsafe:integration-test failsafe:verify} runs it (and {@code .ci/run} does, after {@code mvn
 * verify}). {@code -Dcaravan.load.rate} and {@code -Dcaravan.load.seconds} change the load.
 */
@Tag("load")
@SpringBootTest(
    classes = {CaravanApplication.class, GatewayLoadIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.github.webhook-secret=" + GatewayLoadIT.SECRET,
      // the gateways and the test pipeline only: the on-push example would run a local process
      // per event on the same cores as the load generator and the server
      "camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
          + "classpath:routes/gateways/*.yaml",
      "camel.component.kjob.executor=local",
      "caravan.retention.interval=1s",
      "caravan.retention.max-events=" + GatewayLoadIT.MAX_EVENTS,
      "caravan.retention.max-runs-per-pipeline=" + GatewayLoadIT.MAX_RUNS,
      "caravan.retention.batch-size=" + GatewayLoadIT.BATCH
    })
class GatewayLoadIT {

  static final String SECRET = "load-secret-7c21";
  static final String PIPELINE = "load-counter";
  static final Path DATA_DIR = createDir();

  private static final int RATE = Integer.getInteger("caravan.load.rate", 200);
  private static final int SECONDS = Integer.getInteger("caravan.load.seconds", 60);

  /**
   * The open-loop generator gives a request up when this many are unanswered: a stall detector (30
   * s of requests at 200/s), not a latency goal. Latency is printed, and speed is measured in
   * bench/ (docs/performance.md).
   */
  private static final int MAX_IN_FLIGHT = 6_000;

  /** Deliveries sent before the measured minute, {@value #WARM_UP_CLIENTS} at a time. */
  private static final int WARM_UP = Integer.getInteger("caravan.load.warm-up", 2_000);

  private static final int WARM_UP_CLIENTS = 8;

  static final int MAX_EVENTS = 3_000;
  static final int MAX_RUNS = 1_000;
  static final int BATCH = 500;

  /** Counts what the app's metrics count (runs finished, rows the retention deleted). */
  private static final SimpleMeterRegistry METERS = new SimpleMeterRegistry();

  /** Event ids the test pipeline was handed, with how many times. */
  static final Map<String, AtomicInteger> DELIVERED = new ConcurrentHashMap<>();

  @LocalServerPort int port;
  @Autowired CamelContext camel;
  @Autowired DataSource dataSource;

  @BeforeAll
  static void countMeters() {
    Metrics.addRegistry(METERS);
  }

  @AfterAll
  static void stopCountingMeters() {
    Metrics.removeRegistry(METERS);
  }

  @AfterAll
  static void deleteTheStore() {
    // a minute of load leaves a file of about 400 MB (H2 does not compact it under WRITE_DELAY=0)
    FileSystemUtils.deleteRecursively(DATA_DIR.toFile());
  }

  @DynamicPropertySource
  static void dataDir(DynamicPropertyRegistry registry) {
    // the default store:
    // jdbc:h2:file:${caravan.data-dir}/caravan;WRITE_DELAY=0
    registry.add("caravan.data-dir", () -> DATA_DIR.toString());
  }

  /** A pipeline subscribed to the test's pushes that counts what it is handed. */
  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder loadPipeline() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:github?types=push&subject=octo/load")
              .routeId(PIPELINE)
              .process(
                  exchange ->
                      DELIVERED
                          .computeIfAbsent(
                              exchange
                                  .getMessage()
                                  .getHeader(EventConstants.EVENT_ID, String.class),
                              id -> new AtomicInteger())
                          .incrementAndGet());
        }
      };
    }
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("gateway-load");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest delivery(String id, int n) {
    byte[] body =
        ("{\"ref\":\"refs/heads/main\",\"after\":\"load"
                + n
                + "\",\"repository\":{\"full_name\":\"octo/load\","
                + "\"clone_url\":\"https://github.com/octo/load.git\"}}")
            .getBytes(StandardCharsets.UTF_8);
    String signature =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body));
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", id)
        .header("X-Hub-Signature-256", signature)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private static double percentile(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
    return sortedNanos[Math.max(0, Math.min(index, sortedNanos.length - 1))] / 1e6;
  }

  @Test
  void gatewayTakesTheLoadAndEveryAcceptedEventIsStoredAndDelivered() throws Exception {
    int total = RATE * SECONDS;
    List<String> ids = new ArrayList<>(total);
    List<HttpRequest> requests = new ArrayList<>(total);
    for (int i = 0; i < total; i++) {
      String id = "load-" + i + "-" + Long.toHexString(System.nanoTime());
      ids.add(id);
      requests.add(delivery(id, i));
    }
    // a warm-up (not counted): closed loop, until its runs have ended, so that the measured minute
    // neither measures class loading and first compilations nor starts with a backlog
    ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(clientThreads)
            .build();
    ExecutorService warmUpClients = Executors.newFixedThreadPool(WARM_UP_CLIENTS);
    List<Future<Integer>> warmUp = new ArrayList<>();
    for (int i = 0; i < WARM_UP; i++) {
      HttpRequest request = delivery("load-warmup-" + i, -1 - i);
      warmUp.add(
          warmUpClients.submit(
              () -> client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode()));
    }
    for (Future<Integer> answer : warmUp) {
      assertThat(answer.get(60, TimeUnit.SECONDS)).as("a warm-up delivery").isEqualTo(202);
    }
    warmUpClients.shutdown();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> finished(null) >= WARM_UP);

    StoreSizes sizes = new StoreSizes();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleWithFixedDelay(sizes::sample, 0, 500, TimeUnit.MILLISECONDS);

    int[] status = new int[total];
    long[] latency = new long[total];
    Throwable[] failure = new Throwable[total];
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    CountDownLatch answered = new CountDownLatch(total);
    AtomicInteger notSent = new AtomicInteger();
    long periodNanos = 1_000_000_000L / RATE;
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = start + i * periodNanos;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      if (!inFlight.tryAcquire()) {
        // open loop: the generator never waits for the server; over the bound it gives up
        notSent.incrementAndGet();
        status[i] = -1;
        answered.countDown();
        continue;
      }
      int n = i;
      long sent = System.nanoTime();
      client
          .sendAsync(requests.get(i), HttpResponse.BodyHandlers.ofString())
          .whenComplete(
              (response, error) -> {
                latency[n] = System.nanoTime() - sent;
                if (error != null) {
                  failure[n] = error;
                } else {
                  status[n] = response.statusCode();
                }
                inFlight.release();
                answered.countDown();
              });
    }
    long sendingEnded = System.nanoTime();
    assertThat(answered.await(120, TimeUnit.SECONDS)).as("all answers").isTrue();
    long answersEnded = System.nanoTime();

    Map<Integer, Integer> byStatus = new TreeMap<>();
    List<String> accepted = new ArrayList<>();
    List<Long> acceptedLatency = new ArrayList<>();
    int errors = 0;
    String firstError = null;
    for (int i = 0; i < total; i++) {
      if (failure[i] != null) {
        errors++;
        if (firstError == null) {
          firstError = failure[i].toString();
        }
      } else if (status[i] > 0) {
        byStatus.merge(status[i], 1, Integer::sum);
        if (status[i] == 202) {
          accepted.add(ids.get(i));
          acceptedLatency.add(latency[i]);
        }
      }
    }
    long[] sorted = acceptedLatency.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    double sendSeconds = (sendingEnded - start) / 1e9;
    double answerSeconds = (answersEnded - start) / 1e9;

    // every accepted event's run of the test pipeline ends (runs of the warm-up included)
    int runsExpected = accepted.size() + WARM_UP;
    await()
        .atMost(Duration.ofMinutes(10))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> finished(null) >= runsExpected);
    long runsEnded = System.nanoTime();
    sampler.shutdownNow();
    sizes.sample();
    Map<String, Long> runStatus = new TreeMap<>();
    for (RunStatus runState : RunStatus.values()) {
      long count = finished(runState);
      if (count > 0) {
        runStatus.put(runState.name(), count);
      }
    }
    long deliveredOnce =
        accepted.stream()
            .filter(id -> DELIVERED.containsKey(id) && DELIVERED.get(id).get() == 1)
            .count();
    // every event is either still stored or was deleted by the retention, none lost otherwise
    long eventsLeft = count("SELECT count(*) FROM caravan_event");
    long runsLeft = count("SELECT count(*) FROM caravan_run");
    long eventsDeleted = (long) deleted("events");
    long runsDeleted = (long) deleted("runs");

    String report =
        String.format(
            "%nGatewayLoadIT: %d requests planned at %d/s for %d s (at most %d in flight)%n"
                + "  sent %d in %.2f s: achieved %.1f requests/s (answers %.1f/s, last answer"
                + " %.2f s after the start); not sent (in-flight bound): %d%n"
                + "  status codes: %s; transport errors: %d%s%n"
                + "  latency of accepted requests: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms,"
                + " max %.2f ms%n"
                + "  runs of %s that ended: %s; delivered exactly once: %d of %d accepted%n"
                + "  all runs ended %.2f s after the last request was sent (%.2f s after the"
                + " start)%n"
                + "  store under retention (max-events %d, max-runs-per-pipeline %d, batch %d, a"
                + " pass every 1 s), while sampled (besides the runs in flight, at most %d, and"
                + " their events): events at most %d, ended runs at most %d; at the end: %d"
                + " events (+ %d deleted), %d runs (+ %d deleted)%n",
            total,
            RATE,
            SECONDS,
            MAX_IN_FLIGHT,
            total - notSent.get(),
            sendSeconds,
            (total - notSent.get()) / sendSeconds,
            (total - notSent.get()) / answerSeconds,
            answerSeconds,
            notSent.get(),
            byStatus,
            errors,
            firstError == null ? "" : " (first: " + firstError + ")",
            percentile(sorted, 50),
            percentile(sorted, 90),
            percentile(sorted, 99),
            sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6,
            PIPELINE,
            runStatus,
            deliveredOnce,
            accepted.size(),
            (runsEnded - sendingEnded) / 1e9,
            (runsEnded - start) / 1e9,
            MAX_EVENTS,
            MAX_RUNS,
            BATCH,
            sizes.maxInFlight,
            sizes.maxEvents,
            sizes.maxRuns,
            eventsLeft,
            eventsDeleted,
            runsLeft,
            runsDeleted);
    // p99 per window of 5 s of sending (by the moment each request was due), to show stalls
    StringBuilder windows = new StringBuilder("  p99 per 5 s window (ms):");
    int perWindow = RATE * 5;
    for (int from = 0; from < total; from += perWindow) {
      long[] window =
          Arrays.stream(latency, from, Math.min(from + perWindow, total))
              .filter(nanos -> nanos > 0)
              .sorted()
              .toArray();
      windows.append(String.format(" %.0f", percentile(window, 99)));
    }
    long[] steady =
        Arrays.stream(latency, Math.min(RATE * 10, total), total)
            .filter(nanos -> nanos > 0)
            .sorted()
            .toArray();
    StringBuilder chunks = new StringBuilder("  H2 file chunks every 5 s from the start:");
    for (int sample = 0; sample < sizes.chunks.size(); sample += 10) {
      chunks.append(' ').append(sizes.chunks.get(sample));
    }
    report +=
        windows
            + System.lineSeparator()
            + chunks
            + System.lineSeparator()
            + String.format(
                "  after the first 10 s: p50 %.2f ms, p99 %.2f ms%n",
                percentile(steady, 50), percentile(steady, 99));
    System.out.println(report);
    Files.writeString(Path.of("target", "gateway-load.txt"), report);

    assertThat(byStatus.keySet()).as("status codes").allMatch(code -> code < 500);
    assertThat(errors).as("transport errors").isZero();
    assertThat(notSent.get()).as("requests over the in-flight bound").isZero();
    assertThat(accepted).as("accepted").hasSize(total);
    // a delivery is read from the store: each accepted event was stored, and ran once
    assertThat(deliveredOnce).as("events handed to the pipeline once").isEqualTo(accepted.size());
    assertThat(runStatus)
        .containsExactlyEntriesOf(Map.of(RunStatus.SUCCEEDED.name(), (long) runsExpected));
    // the retention may be between a delete's commit and its counter when the test counts: the
    // sums are read again until the counters have caught up (a lost row would never add up)
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              assertThat(count("SELECT count(*) FROM caravan_event") + (long) deleted("events"))
                  .as("events stored or deleted by the retention")
                  .isEqualTo(runsExpected);
              assertThat(count("SELECT count(*) FROM caravan_run") + (long) deleted("runs"))
                  .as("runs stored or deleted by the retention")
                  .isEqualTo(runsExpected);
            });
    assertThat(sizes.failure).as("sampling the store's size").isNull();
    assertThat(sizes.maxEvents)
        .as("events without a run in flight, while sampled")
        .isLessThanOrEqualTo(MAX_EVENTS + BATCH);
    assertThat(eventsLeft).as("events at the end").isLessThanOrEqualTo(MAX_EVENTS + BATCH);
    // runs end faster than events arrive while a backlog of deliveries drains (on a busy machine),
    // so between two passes the ended runs may grow by more than a batch: bounded all the same
    assertThat(sizes.maxRuns).as("ended runs, while sampled").isLessThanOrEqualTo(2 * MAX_RUNS);
    assertThat(runsLeft).as("runs at the end").isLessThanOrEqualTo(MAX_RUNS + BATCH);
    assertThat(deleted("steps")).as("the pipeline runs no kjob step").isZero();
  }

  /**
   * The largest counts seen so far. A run in flight (PENDING or RUNNING) and its event are never
   * deleted, so the limits bound what is left beside them: events and runs minus the runs in flight
   * (one per event here), counted in one statement.
   */
  private final class StoreSizes {
    volatile long maxEvents;
    volatile long maxRuns;
    volatile long maxInFlight;

    /** The H2 file's chunks at each sample: H2 walks them all on every commit. */
    final List<Long> chunks = new CopyOnWriteArrayList<>();

    volatile RuntimeException failure;

    void sample() {
      try (Connection connection = dataSource.getConnection();
          Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery(
                  "SELECT (SELECT count(*) FROM caravan_event), (SELECT count(*) FROM"
                      + " caravan_run), (SELECT count(*) FROM caravan_run WHERE status IN"
                      + " ('PENDING', 'RUNNING'))")) {
        rows.next();
        long inFlight = rows.getLong(3);
        maxEvents = Math.max(maxEvents, rows.getLong(1) - inFlight);
        maxRuns = Math.max(maxRuns, rows.getLong(2) - inFlight);
        maxInFlight = Math.max(maxInFlight, inFlight);
        chunks.add(
            count(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'info.CHUNK_COUNT'"));
      } catch (SQLException | RuntimeException e) {
        failure = new IllegalStateException(e);
      }
    }
  }

  private long count(String query) {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(query)) {
      rows.next();
      return rows.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs of the test pipeline that ended (with that status, or any). */
  private static long finished(RunStatus status) {
    return (long)
        METERS.find("caravan.runs.finished").tag("pipeline", PIPELINE).counters().stream()
            .filter(
                counter -> status == null || status.name().equals(counter.getId().getTag("status")))
            .mapToDouble(Counter::count)
            .sum();
  }

  private static double deleted(String kind) {
    Counter counter = METERS.find(RetentionService.METRIC).tag("kind", kind).counter();
    return counter == null ? 0 : counter.count();
  }
}
