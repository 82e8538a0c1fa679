package dev.caravan.bench;

import dev.caravan.bench.BenchMain.Row;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.RunFilter;
import dev.caravan.run.Runs;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * (9) The runs API under load with a full store: {@code runs} ended runs (one step each) written
 * straight into the app's H2 file in JDBC batches, over ten pipelines, one of them {@code
 * bench-e2e} (a route of the app, so a run's graph is built from it); then {@code GET /api/runs},
 * {@code GET /api/runs?pipeline=bench-e2e} and {@code GET /api/runs/{id}} (a random run of {@code
 * bench-e2e}) each over {@code connections} connections (wrk, else Java threads) for {@code
 * seconds}, after a warm-up, beside the dashboard's page (a static file) under the same load. Also
 * times the store's queries one by one (the page of runs, its {@code total}, one run, its steps)
 * and prints H2's plan of each request's SQL.
 */
final class ApiUnderLoad {

  static final String FILTERED = EndToEndRuns.PIPELINE;
  private static final int PIPELINES = 10;

  private ApiUnderLoad() {}

  static List<Row> measure(int runs, int connections, int seconds) throws Exception {
    try (BenchApp app = BenchApp.start()) {
      return measure(app, runs, connections, seconds);
    }
  }

  static List<Row> measure(BenchApp app, int runs, int connections, int seconds) throws Exception {
    long fillStart = System.nanoTime();
    List<String> filteredIds = fill(app.dataSource(), runs);
    double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
    System.out.printf(
        Locale.ROOT, "api under load: %d runs written in %.1f s%n", runs, fillSeconds);
    explain(app.dataSource(), filteredIds.get(0));

    String scenario = "api under load";
    String load = runs + " runs in the store, " + connections + " connections, " + seconds + " s";
    Path ids = Files.createTempFile("caravan-bench-run-ids", ".txt");
    Files.write(ids, filteredIds);
    Load page = load(app, connections, seconds, () -> "/", null);
    List<Row> rows = new ArrayList<>();
    long errors = page.errors;
    List<String[]> endpoints =
        List.of(
            new String[] {"GET /api/runs (first page of 50)", "/api/runs"},
            new String[] {
              "GET /api/runs?pipeline=" + FILTERED + " (first page of 50, 1 in 10 runs)",
              "/api/runs?pipeline=" + FILTERED
            },
            new String[] {"GET /api/runs/{id} (a random run of " + FILTERED + ")", null});
    for (String[] endpoint : endpoints) {
      Supplier<String> path =
          endpoint[1] != null
              ? () -> endpoint[1]
              : () ->
                  "/api/runs/"
                      + filteredIds.get(ThreadLocalRandom.current().nextInt(filteredIds.size()));
      Load measured = load(app, connections, seconds, path, endpoint[1] == null ? ids : null);
      errors += measured.errors;
      rows.add(
          new Row(
              scenario,
              endpoint[0] + ", latency p99 (" + load + "; vs GET / , the dashboard's own file)",
              "ms",
              measured.p99,
              page.p99,
              measured.p99 / page.p99,
              "< 50 ms",
              measured.p99 < 50));
      rows.add(
          new Row(
              scenario,
              endpoint[0]
                  + ", latency p50 (throughput "
                  + String.format(Locale.ROOT, "%.0f", measured.perSecond)
                  + " req/s; GET / "
                  + String.format(Locale.ROOT, "%.0f", page.perSecond)
                  + " req/s)",
              "ms",
              measured.p50,
              page.p50,
              measured.p50 / page.p50,
              "-",
              null));
    }
    rows.add(
        new Row(
            scenario,
            "failed requests (non-200 or transport errors; " + load + ")",
            "count",
            errors,
            null,
            null,
            "0",
            errors == 0));
    rows.addAll(storeQueries(app, scenario, runs, filteredIds));
    Files.delete(ids);
    return rows;
  }

  /**
   * Writes {@code count} ended runs with their event and one step, newest last, in batches of
   * 1,000; answers the ids of the runs of {@link #FILTERED}.
   */
  static List<String> fill(DataSource dataSource, int count) throws Exception {
    List<String> filtered = new ArrayList<>();
    OffsetDateTime base = OffsetDateTime.now(ZoneOffset.UTC).minusSeconds(count);
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement event =
              connection.prepareStatement(
                  "INSERT INTO caravan_event (id, source, type, subject, event_time, received_at,"
                      + " labels, data) VALUES (?, 'github', 'watch:started', 'octo/hello', ?, ?,"
                      + " '{}', '{\"action\":\"started\"}')");
          PreparedStatement run =
              connection.prepareStatement(
                  "INSERT INTO caravan_run (id, event_id, pipeline, status, created_at,"
                      + " started_at, ended_at, attempts, summary) VALUES (?, ?, ?, 'SUCCEEDED',"
                      + " ?, ?, ?, 1, 'filled by the benchmark')");
          PreparedStatement step =
              connection.prepareStatement(
                  "INSERT INTO caravan_step (run_id, step_name, fan_out_index, attempt, executor,"
                      + " job_name, status, exit_code, started_at, ended_at) VALUES (?, 'true', '',"
                      + " 1, 'local', ?, 'SUCCEEDED', 0, ?, ?)")) {
        for (int i = 0; i < count; i++) {
          String id = String.format(Locale.ROOT, "fill-%08d", i);
          String pipeline = i % PIPELINES == 0 ? FILTERED : "bench-other-" + i % PIPELINES;
          if (pipeline.equals(FILTERED)) {
            filtered.add(id);
          }
          OffsetDateTime created = base.plusSeconds(i);
          OffsetDateTime ended = created.plusNanos(5_000_000);
          event.setString(1, id);
          event.setObject(2, created);
          event.setObject(3, created);
          event.addBatch();
          run.setString(1, id);
          run.setString(2, id);
          run.setString(3, pipeline);
          run.setObject(4, created);
          run.setObject(5, created);
          run.setObject(6, ended);
          run.addBatch();
          step.setString(1, id);
          step.setString(2, id + "-true");
          step.setObject(3, created);
          step.setObject(4, ended);
          step.addBatch();
          if (i % 1000 == 999 || i == count - 1) {
            event.executeBatch();
            run.executeBatch();
            step.executeBatch();
            connection.commit();
          }
        }
      }
    }
    return filtered;
  }

  /** Prints H2's plan of the SQL behind each request (the statements of JdbcRunStore). */
  static void explain(DataSource dataSource, String runId) throws Exception {
    String columns =
        "r.id, r.event_id, r.pipeline, r.status, r.created_at, r.started_at, r.ended_at,"
            + " r.reuse_from, r.summary, r.retry_of, r.error, e.source, e.type, e.subject,"
            + " r.concurrency_group FROM caravan_run r LEFT JOIN caravan_event e ON e.id ="
            + " r.event_id";
    List<String> queries =
        List.of(
            "SELECT " + columns + " ORDER BY r.seq DESC LIMIT 50 OFFSET 0",
            "SELECT COUNT(*) FROM caravan_run r",
            "SELECT "
                + columns
                + " WHERE r.pipeline = '"
                + FILTERED
                + "' ORDER BY r.seq DESC LIMIT 50 OFFSET 0",
            "SELECT COUNT(*) FROM caravan_run r WHERE r.pipeline = '" + FILTERED + "'",
            "SELECT " + columns + " WHERE r.id = '" + runId + "'",
            "SELECT * FROM caravan_step WHERE run_id = '"
                + runId
                + "' ORDER BY started_at, step_name, fan_out_index, attempt");
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      for (String query : queries) {
        try (ResultSet plan = statement.executeQuery("EXPLAIN " + query)) {
          plan.next();
          System.out.println("api under load, plan of: " + query);
          System.out.println("  " + plan.getString(1).replace("\n", "\n  "));
        }
      }
    }
  }

  /** Mean milliseconds of each store query behind the requests, called one after another. */
  static List<Row> storeQueries(
      BenchApp app, String scenario, int runsInStore, List<String> filteredIds) throws Exception {
    Runs runs = Runs.of(app.camel());
    JdbcRunStore store = runs.store();
    JdbcStepJournal journal = runs.journal();
    RunFilter all = new RunFilter(null, null, null, null, null);
    RunFilter filtered = new RunFilter(FILTERED, null, null, null, null);
    String id = filteredIds.get(filteredIds.size() / 2);
    List<Object[]> timed = new ArrayList<>();
    timed.add(new Object[] {"runs(first page of 50)", (Runnable) () -> store.runs(all, 50, 0)});
    timed.add(new Object[] {"countRuns (the total)", (Runnable) () -> store.countRuns(all)});
    timed.add(
        new Object[] {
          "runs(pipeline, first page of 50)", (Runnable) () -> store.runs(filtered, 50, 0)
        });
    timed.add(new Object[] {"countRuns(pipeline)", (Runnable) () -> store.countRuns(filtered)});
    timed.add(new Object[] {"run(id)", (Runnable) () -> store.run(id)});
    timed.add(new Object[] {"steps(run id)", (Runnable) () -> journal.steps(id)});
    StringBuilder metric =
        new StringBuilder(
            "store queries one by one with "
                + runsInStore
                + " runs in the store, mean of 200 each:");
    double total = 0;
    for (Object[] query : timed) {
      Runnable call = (Runnable) query[1];
      for (int i = 0; i < 50; i++) {
        call.run();
      }
      long start = System.nanoTime();
      for (int i = 0; i < 200; i++) {
        call.run();
      }
      double mean = (System.nanoTime() - start) / 1e6 / 200;
      total += mean;
      metric.append(String.format(Locale.ROOT, " %s %.3f ms;", query[0], mean));
    }
    return List.of(
        new Row(
            scenario,
            metric.substring(0, metric.length() - 1) + " (caravan = their sum)",
            "ms",
            total,
            null,
            null,
            "report only (no goal set)",
            null));
  }

  /** Latencies of one request under load. */
  record Load(double p50, double p99, double perSecond, long errors) {}

  /**
   * The request under load after a warm-up: from wrk (2 threads, {@code connections} connections)
   * when it is installed, as in the other HTTP scenarios; else from as many Java threads, each in a
   * loop (a heavier client, sharing the JVM with the app). {@code idsFile}: the runs of {@code GET
   * /api/runs/{id}} for wrk's script; {@code null} for a fixed path.
   */
  static Load load(BenchApp app, int connections, int seconds, Supplier<String> path, Path idsFile)
      throws Exception {
    Path wrk = onPath("wrk");
    if (wrk != null) {
      wrk(wrk, app, connections, Math.min(3, seconds), path.get(), idsFile); // warm-up
      return wrk(wrk, app, connections, seconds, path.get(), idsFile);
    }
    run(app, connections, Math.min(3, seconds), path); // warm-up
    return run(app, connections, seconds, path);
  }

  private static Load wrk(
      Path wrk, BenchApp app, int connections, int seconds, String path, Path idsFile)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            wrk.toString(),
            "-t" + Math.min(2, connections),
            "-c" + connections,
            "-d" + seconds + "s",
            "--latency"));
    if (idsFile != null) {
      command.add("-s");
      command.add(Path.of("bench/runs-by-id.lua").toAbsolutePath().toString());
    }
    command.add(app.uri(idsFile != null ? "/" : path).toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (idsFile != null) {
      builder.environment().put("BENCH_RUN_IDS", idsFile.toString());
    }
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException("wrk failed: " + output);
    }
    BenchMain.Wrk measured = BenchMain.Wrk.parse(output);
    return new Load(
        measured.p50Millis(),
        measured.p99Millis(),
        measured.requestsPerSecond(),
        measured.errors());
  }

  private static Path onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir, program);
      if (!dir.isEmpty() && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static Load run(BenchApp app, int connections, int seconds, Supplier<String> path)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    try {
      AtomicInteger errors = new AtomicInteger();
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<List<Long>>> workers = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        workers.add(
            pool.submit(
                () -> {
                  List<Long> nanos = new ArrayList<>();
                  while (System.nanoTime() < end) {
                    HttpRequest request =
                        HttpRequest.newBuilder(app.uri(path.get()))
                            .timeout(Duration.ofSeconds(30))
                            .build();
                    long sent = System.nanoTime();
                    try {
                      HttpResponse<byte[]> answer =
                          app.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
                      if (answer.statusCode() != 200) {
                        errors.incrementAndGet();
                      }
                    } catch (Exception e) {
                      errors.incrementAndGet();
                    }
                    nanos.add(System.nanoTime() - sent);
                  }
                  return nanos;
                }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> worker : workers) {
        all.addAll(worker.get(seconds + 120L, TimeUnit.SECONDS));
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      double[] sorted = all.stream().mapToDouble(n -> n / 1e6).toArray();
      Arrays.sort(sorted);
      return new Load(
          BenchMain.percentile(sorted, 50),
          BenchMain.percentile(sorted, 99),
          all.size() / elapsed,
          errors.get());
    } finally {
      pool.shutdownNow();
    }
  }
}
