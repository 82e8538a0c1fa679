package dev.caravan.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.management.GarbageCollectionNotificationInfo;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.H2EventComponents;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.kubernetes.KubeletStandIn;
import dev.caravan.kjob.kubernetes.MockApiServers;
import dev.caravan.kjob.local.SpawnTimer;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.RunStatus;
import dev.caravan.run.Runs;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * Caravan's benchmark harness (docs/performance.md; run with {@code bench/run.sh}). Each scenario
 * measures Caravan and a baseline in the same run and yields table rows; nothing here asserts a
 * timing.
 *
 * <p>Arguments: {@code [--wrk-gateway FILE --wrk-bare FILE] [--out FILE] [--scenarios
 * webhook,local,kubernetes,fanout,output,e2e,e2e-postgres,api,replicas,statements] [--local-steps
 * N] [--output-bytes N] [--e2e-rate N] [--e2e-seconds N] [--e2e-warm-seconds N] [--replica-events
 * N] [--replica-rate N] [--replica-poll-ms N] [--api-runs N] [--api-connections N] [--api-seconds
 * N]}.
 */
public final class BenchMain {

  /** One line of the results table. */
  public record Row(
      String scenario,
      String metric,
      String unit,
      double caravan,
      Double baseline,
      Double ratio,
      String goal,
      Boolean met) {

    Row withScenario(String other) {
      return new Row(other, metric, unit, caravan, baseline, ratio, goal, met);
    }
  }

  private static final String NAMESPACE = "bench";
  private static final String KUBERNETES = "executor=kubernetes&image=busybox:1.36";
  private static final String JOBS_PATH = "/apis/batch/v1/namespaces/" + NAMESPACE + "/jobs";
  private static final String STAND_IN_AGENT = "kubelet-stand-in";

  /** Held here: java.util.logging keeps loggers only weakly. */
  private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  private BenchMain() {}

  /** Waits until {@code System.nanoTime()} reaches {@code due}: an open-loop load's pacing. */
  static void waitUntil(long due) {
    long wait;
    while ((wait = due - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  public static void main(String[] args) throws Exception {
    MOCK_SERVER_LOG.setLevel(Level.WARNING);
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    List<String> scenarios =
        Arrays.asList(
            options
                .getOrDefault(
                    "scenarios",
                    "webhook,local,kubernetes,fanout,output,e2e,api,replicas,statements")
                .split(","));
    List<Row> rows = new ArrayList<>();
    if (scenarios.contains("webhook") && options.containsKey("wrk-gateway")) {
      rows.addAll(
          webhook(
              Files.readString(Path.of(options.get("wrk-gateway"))),
              Files.readString(Path.of(options.get("wrk-bare")))));
    }
    if (scenarios.contains("webhook") && options.containsKey("wrk-runs-api")) {
      rows.addAll(
          runsPage(
              Files.readString(Path.of(options.get("wrk-runs-api"))),
              Files.readString(Path.of(options.get("wrk-page"))),
              options.get("runs-in-store")));
    }
    if (scenarios.contains("webhook") && options.containsKey("cli-ms")) {
      rows.add(
          commandLine(
              Files.readAllLines(Path.of(options.get("cli-ms"))),
              Files.readAllLines(Path.of(options.get("curl-ms")))));
    }
    if (scenarios.contains("local")) {
      rows.addAll(localSteps(Integer.parseInt(options.getOrDefault("local-steps", "100"))));
    }
    if (scenarios.contains("kubernetes")) {
      rows.addAll(kubernetes());
    }
    if (scenarios.contains("fanout")) {
      rows.addAll(fanOut(500));
    }
    if (scenarios.contains("output")) {
      rows.addAll(
          largeOutput(10, Long.parseLong(options.getOrDefault("output-bytes", "100000000"))));
    }
    int e2eRate = Integer.parseInt(options.getOrDefault("e2e-rate", "160"));
    int e2eSeconds = Integer.parseInt(options.getOrDefault("e2e-seconds", "60"));
    int e2eWarmSeconds = Integer.parseInt(options.getOrDefault("e2e-warm-seconds", "20"));
    if (scenarios.contains("e2e")) {
      rows.addAll(EndToEndRuns.measure(e2eRate, e2eSeconds, e2eWarmSeconds));
    }
    if (scenarios.contains("e2e-postgres")) {
      rows.addAll(EndToEndRuns.measureOnPostgres(e2eRate, e2eSeconds, e2eWarmSeconds));
    }
    if (scenarios.contains("replicas")) {
      rows.addAll(
          ReplicaDispatch.measure(
              Integer.parseInt(options.getOrDefault("replica-events", "200")),
              Integer.parseInt(options.getOrDefault("replica-rate", "20")),
              Long.parseLong(options.getOrDefault("replica-poll-ms", "1000"))));
    }
    if (scenarios.contains("statements")) {
      rows.addAll(StoreStatements.measure(200));
    }
    if (scenarios.contains("api")) {
      rows.addAll(
          ApiUnderLoad.measure(
              Integer.parseInt(options.getOrDefault("api-runs", "100000")),
              Integer.parseInt(options.getOrDefault("api-connections", "16")),
              Integer.parseInt(options.getOrDefault("api-seconds", "15"))));
    }
    System.out.println(table(rows));
    if (options.containsKey("out")) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("date", Instant.now().toString());
      json.put("cores", Runtime.getRuntime().availableProcessors());
      json.put("java", System.getProperty("java.version"));
      json.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
      json.put("rows", rows);
      Path out = Path.of(options.get("out"));
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
    }
    System.exit(0);
  }

  // (1) webhook ingest: the numbers come from wrk, run by bench/run.sh

  static List<Row> webhook(String gatewayOutput, String bareOutput) {
    Wrk gateway = Wrk.parse(gatewayOutput);
    Wrk bare = Wrk.parse(bareOutput);
    List<Row> rows = new ArrayList<>();
    double ratio = gateway.requestsPerSecond / bare.requestsPerSecond;
    rows.add(
        new Row(
            "webhook ingest",
            "throughput (signed GitHub delivery vs bare 202)",
            "req/s",
            gateway.requestsPerSecond,
            bare.requestsPerSecond,
            ratio,
            "gateway >= 0.8 of bare",
            ratio >= 0.8));
    rows.add(
        new Row(
            "webhook ingest",
            "latency p50",
            "ms",
            gateway.p50Millis,
            bare.p50Millis,
            gateway.p50Millis / bare.p50Millis,
            "-",
            null));
    rows.add(
        new Row(
            "webhook ingest",
            "latency p99",
            "ms",
            gateway.p99Millis,
            bare.p99Millis,
            gateway.p99Millis / bare.p99Millis,
            "-",
            null));
    rows.add(
        new Row(
            "webhook ingest",
            "failed requests (non-2xx or socket errors)",
            "count",
            gateway.errors,
            (double) bare.errors,
            null,
            "0",
            gateway.errors == 0));
    return rows;
  }

  // (6) the dashboard's runs page: the numbers come from wrk, run by bench/run.sh

  /**
   * The runs page with a full store: the API request its script makes (the first page of runs)
   * beside the page itself, a static file, under the same load.
   */
  static List<Row> runsPage(String apiOutput, String pageOutput, String runsInStore) {
    Wrk api = Wrk.parse(apiOutput);
    Wrk page = Wrk.parse(pageOutput);
    String scenario = "runs page (" + runsInStore + " runs in the store)";
    return List.of(
        new Row(
            scenario,
            "GET /api/runs?limit=50 latency p99 (vs the page's own file)",
            "ms",
            api.p99Millis,
            page.p99Millis,
            api.p99Millis / page.p99Millis,
            "< 300 ms",
            api.p99Millis < 300),
        new Row(
            scenario,
            "GET /api/runs?limit=50 latency p50",
            "ms",
            api.p50Millis,
            page.p50Millis,
            api.p50Millis / page.p50Millis,
            "-",
            null),
        new Row(
            scenario,
            "failed requests (non-2xx or socket errors)",
            "count",
            api.errors,
            (double) page.errors,
            null,
            "0",
            api.errors == 0));
  }

  /**
   * The command line's start-up: the median wall time of {@code ./caravan runs list} beside curl
   * asking the server the same, both against the app of the webhook scenario.
   */
  static Row commandLine(List<String> cliMillis, List<String> curlMillis) {
    double cli = median(cliMillis);
    double curl = median(curlMillis);
    return new Row(
        "command line",
        "./caravan runs list, median wall time of " + cliMillis.size() + " (vs curl, same request)",
        "ms",
        cli,
        curl,
        cli / curl,
        "< 600 ms",
        cli < 600);
  }

  static double median(List<String> millis) {
    List<Double> sorted =
        millis.stream()
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .map(Double::valueOf)
            .sorted()
            .toList();
    if (sorted.isEmpty()) {
      throw new IllegalArgumentException("no times measured");
    }
    int middle = sorted.size() / 2;
    return sorted.size() % 2 == 1
        ? sorted.get(middle)
        : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
  }

  /** What matters of wrk's {@code --latency} output. */
  record Wrk(double requestsPerSecond, double p50Millis, double p99Millis, long errors) {

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET =
        Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    static Wrk parse(String output) {
      Matcher rps = RPS.matcher(output);
      if (!rps.find()) {
        throw new IllegalArgumentException("not wrk output: " + output);
      }
      long errors = 0;
      Matcher non2xx = NON_2XX.matcher(output);
      if (non2xx.find()) {
        errors += Long.parseLong(non2xx.group(1));
      }
      Matcher socket = SOCKET.matcher(output);
      if (socket.find()) {
        for (int g = 1; g <= 4; g++) {
          errors += Long.parseLong(socket.group(g));
        }
      }
      return new Wrk(
          Double.parseDouble(rps.group(1)),
          percentile(output, "50%"),
          percentile(output, "99%"),
          errors);
    }

    private static double percentile(String output, String which) {
      Matcher m =
          Pattern.compile("^\\s+" + which + "\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE)
              .matcher(output);
      if (!m.find()) {
        throw new IllegalArgumentException("no " + which + " latency in wrk output");
      }
      double value = Double.parseDouble(m.group(1));
      return switch (m.group(2)) {
        case "us" -> value / 1000;
        case "s" -> value * 1000;
        default -> value;
      };
    }
  }

  // (2) step overhead of the local executor

  /** {@code steps} sequential {@code true} steps vs as many {@code /bin/sh -c true} spawns. */
  public static List<Row> localSteps(int steps) throws Exception {
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    Path work = Files.createTempDirectory("caravan-bench-local");
    kjob.setLocalWorkDir(work.toString());
    // the moment before each step and after the last: the steps' own times, one by one
    List<Long> marks = new ArrayList<>();
    try (CamelContext camel = new DefaultCamelContext()) {
      camel.addComponent("kjob", kjob);
      camel.addRoutes(sequentialSteps("direct:pipeline", "pipeline", steps, marks));
      camel.start();
      var template = camel.createProducerTemplate();
      int rounds = steps >= 50 ? 3 : 1;
      // warm-up: class loading, JIT (a few passes: one leaves the request's code interpreted),
      // the process launcher
      for (int i = 0; i < rounds; i++) {
        template.requestBody("direct:pipeline", "");
      }
      rawSpawns(Math.min(steps, 20));
      sessionSpawns(work, Math.min(steps, 20));
      double caravan = Double.MAX_VALUE;
      double raw = Double.MAX_VALUE;
      List<String> stepMillis = new ArrayList<>();
      List<String> spawnMillis = new ArrayList<>();
      List<String> sessionSpawnMillis = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        marks.clear();
        long start = System.nanoTime();
        template.requestBody("direct:pipeline", "");
        caravan = Math.min(caravan, (System.nanoTime() - start) / 1e6 / steps);
        stepMillis.addAll(millisBetween(marks));
        raw = Math.min(raw, rawSpawns(steps));
        for (int i = 0; i < steps; i++) {
          spawnMillis.add(Double.toString(rawSpawns(1)));
        }
        sessionSpawnMillis.addAll(sessionSpawns(work, steps));
      }
      double overhead = caravan - raw;
      double stepMedian = median(stepMillis);
      double spawnMedian = median(spawnMillis);
      double medianOverhead = stepMedian - spawnMedian;
      List<Row> rows = new ArrayList<>();
      rows.add(
          new Row(
              "local step overhead",
              "median step of "
                  + rounds
                  + " x "
                  + steps
                  + " sequential `true` steps vs median /bin/sh -c true spawn from Java",
              "ms/step",
              stepMedian,
              spawnMedian,
              stepMedian / spawnMedian,
              "<= raw + 1 ms (overhead "
                  + String.format(Locale.ROOT, "%.2f", medianOverhead)
                  + " ms)",
              medianOverhead <= 1.0));
      if (!sessionSpawnMillis.isEmpty()) {
        double sessionMedian = median(sessionSpawnMillis);
        rows.add(
            new Row(
                "local step overhead",
                "the same median step vs the median /bin/sh -c true started from plain Java as the"
                    + " executor starts it (posix_spawn, new session; what the step adds to its own"
                    + " spawn: "
                    + String.format(Locale.ROOT, "%.2f", stepMedian - sessionMedian)
                    + " ms)",
                "ms/step",
                stepMedian,
                sessionMedian,
                stepMedian / sessionMedian,
                "report only",
                null));
      }
      double recordedMedian = recordedStepMedian(steps, rounds);
      rows.add(
          new Row(
              "local step overhead",
              "median step of the same steps in recorded runs (event component, journal in an H2"
                  + " file) vs the median step above (what the journal's writes add: "
                  + String.format(Locale.ROOT, "%.2f", recordedMedian - stepMedian)
                  + " ms)",
              "ms/step",
              recordedMedian,
              stepMedian,
              recordedMedian / stepMedian,
              "report only",
              null));
      rows.add(
          new Row(
              "local step overhead",
              steps
                  + " sequential `true` steps vs /bin/sh -c true spawns (mean per step, best of "
                  + rounds
                  + "; overhead "
                  + String.format(Locale.ROOT, "%.2f", overhead)
                  + " ms)",
              "ms/step",
              caravan,
              raw,
              caravan / raw,
              "report only (the goal is on the median)",
              null));
      return rows;
    } finally {
      deleteTree(work);
    }
  }

  /**
   * A route (a pipeline: its id names the runs) from {@code from} through {@code steps} sequential
   * {@code true} steps that notes the time before each step and after the last in {@code marks}.
   */
  private static RouteBuilder sequentialSteps(
      String from, String routeId, int steps, List<Long> marks) {
    return new RouteBuilder() {
      @Override
      public void configure() {
        var route = from(from).routeId(routeId);
        for (int i = 0; i < steps; i++) {
          route =
              route
                  .process(exchange -> marks.add(System.nanoTime()))
                  .to("kjob:step-" + i + "?script=true&timeout=30s");
        }
        route.process(exchange -> marks.add(System.nanoTime()));
      }
    };
  }

  /**
   * The median step of {@code rounds} runs of {@code steps} sequential {@code true} steps whose
   * pipeline an event starts, so that every step is recorded in the store's journal (an H2 file).
   */
  private static double recordedStepMedian(int steps, int rounds) throws Exception {
    Path work = Files.createTempDirectory("caravan-bench-recorded");
    List<Long> marks = new CopyOnWriteArrayList<>();
    try (CamelContext camel = new DefaultCamelContext()) {
      camel.addComponent("event", H2EventComponents.onFile(work, "db"));
      KjobComponent kjob = new KjobComponent();
      kjob.setExecutor("local");
      kjob.setLocalWorkDir(work.resolve("steps").toString());
      camel.addComponent("kjob", kjob);
      camel.addRoutes(sequentialSteps("event:bench?types=steps", "steps", steps, marks));
      camel.start();
      JdbcRunStore runs = Runs.of(camel).store();
      List<String> stepMillis = new ArrayList<>();
      for (int r = 0; r < 2 * rounds; r++) {
        marks.clear();
        runAll(camel, runs, "steps", "recorded-" + r, 1);
        // the first half warms up, as above
        if (r >= rounds) {
          stepMillis.addAll(millisBetween(marks));
        }
      }
      return median(stepMillis);
    } finally {
      deleteTree(work);
    }
  }

  /** The milliseconds between consecutive marks: each step's own time. */
  private static List<String> millisBetween(List<Long> marks) {
    List<String> millis = new ArrayList<>();
    for (int i = 1; i < marks.size(); i++) {
      millis.add(Double.toString((marks.get(i) - marks.get(i - 1)) / 1e6));
    }
    return millis;
  }

  /** Milliseconds of each of {@code count} session spawns; none where the executor uses setsid. */
  private static List<String> sessionSpawns(Path directory, int count) throws Exception {
    List<String> millis = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Optional<Double> one = SpawnTimer.sessionSpawnMillis(directory);
      if (one.isEmpty()) {
        break;
      }
      millis.add(Double.toString(one.get()));
    }
    return millis;
  }

  /** Milliseconds per spawn of {@code /bin/sh -c true} from plain Java. */
  static double rawSpawns(int count) throws Exception {
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      Process process =
          new ProcessBuilder("/bin/sh", "-c", "true").redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      if (process.waitFor() != 0) {
        throw new IllegalStateException("true failed");
      }
    }
    return (System.nanoTime() - start) / 1e6 / count;
  }

  // (5) large step output

  /**
   * Peak heap with {@code steps} concurrent runs whose step prints {@code bytes} each, beside the
   * same number of runs whose step prints one line, through the whole path (event component, local
   * executor, the journal's log chunks in an H2 file store); and the time the loud ones take beside
   * the same commands run from plain Java with their output discarded.
   */
  public static List<Row> largeOutput(int steps, long bytes) throws Exception {
    Path work = Files.createTempDirectory("caravan-bench-output");
    String loud = "head -c " + bytes + " /dev/zero | tr '\\0' a; echo; echo the end";
    try (CamelContext camel = new DefaultCamelContext();
        HeapAfterGc heap = new HeapAfterGc()) {
      EventComponent events = H2EventComponents.onFile(work, "db");
      events.setPollInterval(200);
      camel.addComponent("event", events);
      KjobComponent kjob = new KjobComponent();
      kjob.setExecutor("local");
      kjob.setLocalWorkDir(work.resolve("steps").toString());
      camel.addComponent("kjob", kjob);
      camel.addRoutes(
          new RouteBuilder() {
            @Override
            public void configure() {
              from("event:bench?types=quiet").routeId("quiet").to("kjob:quiet?script=echo quiet");
              from("event:bench?types=loud")
                  .routeId("loud")
                  .to("kjob:loud?timeout=10m&script=RAW(" + loud + ")");
            }
          });
      camel.start();
      JdbcRunStore runs = Runs.of(camel).store();
      // warm-up: class loading, JIT, the first runs' store writes
      runAll(camel, runs, "quiet", "warm", steps);

      heap.reset();
      runAll(camel, runs, "quiet", "quiet", steps);
      double quietMb = heap.peakMb();
      heap.reset();
      long start = System.nanoTime();
      runAll(camel, runs, "loud", "loud", steps);
      double loudSeconds = (System.nanoTime() - start) / 1e9;
      double loudMb = heap.peakMb();
      double rawSeconds = rawLoud(loud, steps);
      return List.of(
          new Row(
              "large step output",
              "peak heap after GC (whole JVM): "
                  + steps
                  + " concurrent steps printing "
                  + bytes / 1_000_000
                  + " MB each vs "
                  + steps
                  + " quiet steps (maxOutputBytes 1 MiB)",
              "MB",
              loudMb,
              quietMb,
              loudMb / quietMb,
              "<= quiet + 64 MB",
              loudMb <= quietMb + 64),
          new Row(
              "large step output",
              steps
                  + " concurrent steps printing "
                  + bytes / 1_000_000
                  + " MB each: time until all runs ended vs the same commands from plain Java"
                  + " (output discarded)",
              "s",
              loudSeconds,
              rawSeconds,
              loudSeconds / rawSeconds,
              "report only (no goal set)",
              null));
    } finally {
      deleteTree(work);
    }
  }

  /** Publishes {@code count} events of the type and waits until their runs ended. */
  private static void runAll(
      CamelContext camel, JdbcRunStore runs, String type, String ids, int count) throws Exception {
    var template = camel.createProducerTemplate();
    List<String> eventIds = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = ids + "-" + i + "-" + System.nanoTime();
      eventIds.add(id);
      template.sendBodyAndHeaders(
          "event:bench",
          "{}",
          Map.of(EventConstants.EVENT_ID, id, EventConstants.EVENT_TYPE, type));
    }
    waitUntil(
        () ->
            eventIds.stream()
                .allMatch(
                    id ->
                        runs.runs(type, null, id, 1, 0).stream()
                            .anyMatch(run -> run.status() == RunStatus.SUCCEEDED)),
        900);
  }

  /**
   * Seconds for {@code count} concurrent {@code sh -c command} whose output is read and dropped.
   */
  static double rawLoud(String command, int count) throws Exception {
    long start = System.nanoTime();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Process process =
          new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true).start();
      all.add(
          CompletableFuture.runAsync(
              () -> {
                try (var in = process.getInputStream()) {
                  in.transferTo(OutputStream.nullOutputStream());
                  process.waitFor();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * The largest heap occupancy right after a garbage collection, from the collectors' own
   * notifications (what is live, not garbage waiting to be collected).
   */
  static final class HeapAfterGc implements AutoCloseable {
    private final List<Runnable> unsubscribe = new ArrayList<>();
    private volatile long peakBytes;

    HeapAfterGc() {
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (gc instanceof NotificationEmitter emitter) {
          NotificationListener listener =
              (notification, handback) -> {
                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                    notification.getType())) {
                  var info =
                      GarbageCollectionNotificationInfo.from(
                          (CompositeData) notification.getUserData());
                  long used =
                      info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                          .filter(pool -> isHeap(pool.getKey()))
                          .mapToLong(pool -> pool.getValue().getUsed())
                          .sum();
                  synchronized (this) {
                    peakBytes = Math.max(peakBytes, used);
                  }
                }
              };
          emitter.addNotificationListener(listener, null, null);
          unsubscribe.add(
              () -> {
                try {
                  emitter.removeNotificationListener(listener);
                } catch (ListenerNotFoundException gone) {
                  // nothing to remove
                }
              });
        }
      }
    }

    private static boolean isHeap(String pool) {
      return ManagementFactory.getMemoryPoolMXBeans().stream()
          .anyMatch(bean -> bean.getName().equals(pool) && bean.getType() == MemoryType.HEAP);
    }

    /** Collects now and starts measuring from what is left. */
    void reset() throws InterruptedException {
      System.gc();
      Thread.sleep(200);
      synchronized (this) {
        peakBytes = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      }
    }

    /** The peak since {@link #reset}, after one more collection. */
    double peakMb() throws InterruptedException {
      System.gc();
      Thread.sleep(200);
      return peakBytes / 1024.0 / 1024.0;
    }

    @Override
    public void close() {
      unsubscribe.forEach(Runnable::run);
    }
  }

  // (3) and (4): the Kubernetes executor on fabric8's mock API server

  /** A mock API server in CRUD mode that counts requests by User-Agent and times Job creation. */
  static final class Cluster implements AutoCloseable {
    final KubernetesMockServer server;
    final Map<String, AtomicInteger> requestsByKind = new ConcurrentHashMap<>();
    final Map<String, Long> jobCreatedByRun = new ConcurrentHashMap<>();
    final AtomicInteger jobsCreated = new AtomicInteger();
    final KubeletStandIn kubelet;

    Cluster() {
      server =
          MockApiServers.start(
              expectations ->
                  new KubernetesMixedDispatcher(expectations) {
                    @Override
                    public MockResponse dispatch(RecordedRequest request) {
                      // the body can be read once: before the CRUD store does
                      String body =
                          "POST".equals(request.getMethod()) && request.getPath().equals(JOBS_PATH)
                              ? request.getUtf8Body()
                              : null;
                      MockResponse response = super.dispatch(withBody(request, body));
                      record(request, body, response);
                      return response;
                    }
                  });
      kubelet = new KubeletStandIn(server, client(STAND_IN_AGENT));
    }

    KubernetesClient client(String agent) {
      Config config;
      try (KubernetesClient plain = server.createClient()) {
        ConfigBuilder builder = new ConfigBuilder(plain.getConfiguration());
        if (agent != null) {
          builder.withUserAgent(agent);
        }
        config = builder.build();
      }
      return new KubernetesClientBuilder().withConfig(config).build();
    }

    private static RecordedRequest withBody(RecordedRequest request, String body) {
      if (body == null) {
        return request;
      }
      Buffer copy = new Buffer();
      copy.write(body.getBytes(StandardCharsets.UTF_8));
      return new RecordedRequest(
          request.getHttpVersion(),
          request.method(),
          request.getPath(),
          request.getHeaders(),
          copy);
    }

    private void record(RecordedRequest request, String body, MockResponse response) {
      String agent = request.getHeader("User-Agent");
      if (agent != null && agent.startsWith(STAND_IN_AGENT)) {
        return;
      }
      String path = request.getPath();
      String kind;
      if (path.contains("watch=true")) {
        kind = "watch";
      } else if ("GET".equals(request.getMethod()) && path.startsWith(JOBS_PATH + "?")) {
        kind = "list jobs";
      } else {
        kind = request.getMethod() + " " + path.replaceAll("\\?.*", "").replaceAll("/[^/]+$", "/*");
      }
      requestsByKind.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
      if ("POST".equals(request.getMethod())
          && path.equals(JOBS_PATH)
          && response.code() / 100 == 2) {
        long now = System.nanoTime();
        Job job = Serialization.unmarshal(body, Job.class);
        jobCreatedByRun.put(job.getMetadata().getLabels().get("caravan.dev/run"), now);
        jobsCreated.incrementAndGet();
      }
    }

    int requests(boolean includeWatchAndList) {
      return requestsByKind.entrySet().stream()
          .filter(
              e ->
                  includeWatchAndList
                      || !(e.getKey().equals("watch") || e.getKey().equals("list jobs")))
          .mapToInt(e -> e.getValue().get())
          .sum();
    }

    int count(String kind) {
      AtomicInteger count = requestsByKind.get(kind);
      return count == null ? 0 : count.get();
    }

    @Override
    public void close() {
      kubelet.close();
      server.destroy();
    }
  }

  /** Starts Camel with kjob on the Kubernetes executor and the given routes. */
  static CamelContext camel(KubernetesClient client, RouteBuilder routes) throws Exception {
    KjobComponent kjob = new KjobComponent();
    kjob.setKubernetesClient(client);
    kjob.setNamespace(NAMESPACE);
    CamelContext camel = new DefaultCamelContext();
    camel.addComponent("kjob", kjob);
    camel.addRoutes(routes);
    camel.start();
    return camel;
  }

  /** Sends on the calling thread through the endpoint's asynchronous producer. */
  static CompletableFuture<Exchange> sendAsync(
      AsyncProducer producer, Object body, Map<String, Object> headers) {
    Exchange exchange = producer.getEndpoint().createExchange(ExchangePattern.InOut);
    exchange.getMessage().setBody(body);
    exchange.getMessage().getHeaders().putAll(headers);
    CompletableFuture<Exchange> done = new CompletableFuture<>();
    producer.process(exchange, doneSync -> done.complete(exchange));
    return done;
  }

  static List<Row> kubernetes() throws Exception {
    List<Row> rows = new ArrayList<>();
    try (Cluster cluster = new Cluster();
        KubernetesClient client = cluster.client(null)) {
      CompletableFuture<Void> release = new CompletableFuture<>();
      cluster.kubelet.on("hold", KubeletStandIn.Outcome.succeed().after(release));
      CamelContext camel =
          camel(
              client,
              new RouteBuilder() {
                @Override
                public void configure() {
                  from("direct:step").to("kjob:step?" + KUBERNETES + "&script=true");
                  from("direct:hold").to("kjob:hold?" + KUBERNETES + "&script=true");
                }
              });
      try {
        AsyncProducer step = camel.getEndpoint("direct:step").createAsyncProducer();
        step.start();
        AsyncProducer hold = camel.getEndpoint("direct:hold").createAsyncProducer();
        hold.start();

        // warm-up (also starts the shared informer)
        for (int i = 0; i < 20; i++) {
          check(
              sendAsync(step, null, Map.of(KjobConstants.RUN_ID, "warm-" + i))
                  .get(30, TimeUnit.SECONDS));
        }

        // (3a) API requests per step: 200 steps, sequential, after the warm-up
        int before = cluster.requests(false);
        int watchesBefore = cluster.count("watch") + cluster.count("list jobs");
        int sequential = 200;
        for (int i = 0; i < sequential; i++) {
          check(
              sendAsync(step, null, Map.of(KjobConstants.RUN_ID, "seq-" + i))
                  .get(30, TimeUnit.SECONDS));
        }
        double perStep = (cluster.requests(false) - before) / (double) sequential;
        int informerRequests = cluster.count("watch") + cluster.count("list jobs");
        rows.add(
            new Row(
                "kubernetes executor",
                "API requests per step ("
                    + sequential
                    + " steps; informer list+watch over the whole run: "
                    + informerRequests
                    + ", new during the steps: "
                    + (informerRequests - watchesBefore)
                    + ")",
                "requests",
                perStep,
                null,
                null,
                "<= 3 + one shared watch",
                perStep <= 3.0 && informerRequests - watchesBefore == 0));

        // (3b) accepted -> Job created under 100 steps/s for 5 s
        int rate = 100;
        int count = 500;
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        List<CompletableFuture<Exchange>> paced = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
          long due = t0 + i * (1_000_000_000L / rate);
          long wait;
          while ((wait = due - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(wait, 1_000_000));
          }
          String run = "paced-" + i;
          sentAt.put(run, System.nanoTime());
          paced.add(sendAsync(step, null, Map.of(KjobConstants.RUN_ID, run)));
        }
        CompletableFuture.allOf(paced.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        paced.forEach(f -> check(f.join()));
        double[] latencies =
            sentAt.entrySet().stream()
                .mapToDouble(e -> (cluster.jobCreatedByRun.get(e.getKey()) - e.getValue()) / 1e6)
                .sorted()
                .toArray();
        rows.add(
            new Row(
                "kubernetes executor",
                "step accepted -> Job created, p50 (" + count + " steps at " + rate + "/s)",
                "ms",
                percentile(latencies, 50),
                null,
                null,
                "-",
                null));
        rows.add(
            new Row(
                "kubernetes executor",
                "step accepted -> Job created, p99 (" + count + " steps at " + rate + "/s)",
                "ms",
                percentile(latencies, 99),
                null,
                null,
                "-",
                null));

        // (3c) 1,000 steps in flight
        int inFlight = 1000;
        var threads = ManagementFactory.getThreadMXBean();
        int createdBefore = cluster.jobsCreated.get();
        List<CompletableFuture<Exchange>> held = new ArrayList<>();
        long heldStart = System.nanoTime();
        for (int i = 0; i < inFlight; i++) {
          held.add(sendAsync(hold, null, Map.of(KjobConstants.RUN_ID, "held-" + i)));
        }
        waitUntil(() -> cluster.jobsCreated.get() - createdBefore >= inFlight, 120);
        double allCreatedSeconds = (System.nanoTime() - heldStart) / 1e9;
        Thread.sleep(500);
        int live = threads.getThreadCount();
        for (int i = 0; i < 3; i++) {
          System.gc();
          Thread.sleep(200);
        }
        double heapMb =
            ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024.0 / 1024.0;
        boolean noneDone = held.stream().noneMatch(CompletableFuture::isDone);
        rows.add(
            new Row(
                "kubernetes executor",
                inFlight
                    + " steps in flight: live threads (whole JVM, incl. the mock API server and"
                    + " stand-in kubelet; all Jobs created in "
                    + String.format(Locale.ROOT, "%.1f", allCreatedSeconds)
                    + " s"
                    + (noneDone ? "" : "; SOME STEPS ENDED EARLY")
                    + ")",
                "threads",
                live,
                null,
                null,
                "< 50",
                live < 50));
        rows.add(
            new Row(
                "kubernetes executor",
                inFlight
                    + " steps in flight: heap after GC (whole JVM, incl. the mock server's"
                    + " 1,700+ stored objects)",
                "MB",
                heapMb,
                null,
                null,
                "< 256 MB",
                heapMb < 256));
        release.complete(null);
        CompletableFuture.allOf(held.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
        held.forEach(f -> check(f.join()));
      } finally {
        camel.close();
      }
    }
    return rows;
  }

  // (4) fan-out

  static List<Row> fanOut(int items) throws Exception {
    try (Cluster cluster = new Cluster();
        KubernetesClient client = cluster.client(null)) {
      Config config = client.getConfiguration();
      int perHost = config.getMaxConcurrentRequestsPerHost();
      // Baseline: the same client creating the same Jobs directly, from as many threads as
      // Caravan's API pool (4), i.e. the physical create rate of this client on this server.
      CompletableFuture<Void> release = new CompletableFuture<>();
      cluster.kubelet.on("fan", KubeletStandIn.Outcome.succeed().after(release));
      CamelContext camel =
          camel(
              client,
              new RouteBuilder() {
                @Override
                public void configure() {
                  from("direct:warm").to("kjob:warm?" + KUBERNETES + "&script=true");
                  from("direct:fan")
                      .split(body())
                      .parallelProcessing()
                      .to("kjob:fan?" + KUBERNETES + "&script=true")
                      .end();
                }
              });
      try {
        for (int i = 0; i < 10; i++) {
          camel
              .createProducerTemplate()
              .sendBodyAndHeader("direct:warm", null, KjobConstants.RUN_ID, "warm-" + i);
        }
        Job template = client.batch().v1().jobs().inNamespace(NAMESPACE).list().getItems().get(0);
        double rawSeconds = rawCreates(client, template, items, 4);

        AsyncProducer fan = camel.getEndpoint("direct:fan").createAsyncProducer();
        fan.start();
        int createdBefore = cluster.jobsCreated.get();
        long start = System.nanoTime();
        CompletableFuture<Exchange> done =
            sendAsync(
                fan,
                IntStream.range(0, items).boxed().toList(),
                Map.of(KjobConstants.RUN_ID, "fan-out"));
        waitUntil(() -> cluster.jobsCreated.get() - createdBefore >= items, 120);
        double caravanSeconds = (System.nanoTime() - start) / 1e9;
        release.complete(null);
        check(done.get(180, TimeUnit.SECONDS));
        double qps = items / rawSeconds;
        return List.of(
            new Row(
                "fan-out",
                "split over "
                    + items
                    + " items (parallelProcessing): time until all Jobs exist vs ideal "
                    + items
                    + "/qps (qps = raw create rate of the same client, 4 threads: "
                    + String.format(Locale.ROOT, "%.0f", qps)
                    + "/s; fabric8 7.4 has no requestsPerSecond, maxConcurrentRequestsPerHost="
                    + perHost
                    + ")",
                "s",
                caravanSeconds,
                rawSeconds,
                caravanSeconds / rawSeconds,
                "report only (no goal set)",
                null));
      } finally {
        camel.close();
      }
    }
  }

  /** Seconds to create {@code count} copies of {@code template} from {@code threads} threads. */
  static double rawCreates(KubernetesClient client, Job template, int count, int threads)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      List<CompletableFuture<Void>> creates = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String name = "raw-" + i;
        creates.add(
            CompletableFuture.runAsync(
                () ->
                    client
                        .batch()
                        .v1()
                        .jobs()
                        .inNamespace(NAMESPACE)
                        .resource(
                            new JobBuilder(template)
                                .editMetadata()
                                .withName(name)
                                .withResourceVersion(null)
                                .withUid(null)
                                .withCreationTimestamp(null)
                                .addToLabels("app.kubernetes.io/managed-by", "bench-raw")
                                .addToLabels("caravan.dev/run", name)
                                .endMetadata()
                                .withStatus(null)
                                .build())
                        .create(),
                pool));
      }
      CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      return (System.nanoTime() - start) / 1e9;
    } finally {
      pool.shutdownNow();
    }
  }

  // helpers

  static void check(Exchange exchange) {
    if (exchange.getException() != null) {
      throw new IllegalStateException("a step failed", exchange.getException());
    }
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void waitUntil(Condition condition, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not reached within " + seconds + " s");
      }
      Thread.sleep(5);
    }
  }

  static double percentile(double[] sorted, double p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  static void deleteTree(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
    }
  }

  /** The results as a plain-text table. */
  public static String table(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    String format = "%-20s | %12s | %12s | %8s | %-4s | %s%n";
    out.append(
        String.format(
            Locale.ROOT,
            format,
            "scenario",
            "Caravan",
            "baseline",
            "ratio",
            "met",
            "goal / metric"));
    out.append("-".repeat(110)).append('\n');
    for (Row row : rows) {
      out.append(
          String.format(
              Locale.ROOT,
              format,
              row.scenario(),
              number(row.caravan()) + " " + row.unit(),
              row.baseline() == null ? "-" : number(row.baseline()),
              row.ratio() == null ? "-" : String.format(Locale.ROOT, "%.2f", row.ratio()),
              row.met() == null ? "-" : row.met() ? "yes" : "NO",
              row.goal() + " / " + row.metric()));
    }
    return out.toString();
  }

  private static String number(double value) {
    return Math.abs(value) >= 100
        ? String.format(Locale.ROOT, "%.0f", value)
        : String.format(Locale.ROOT, "%.2f", value);
  }
}
