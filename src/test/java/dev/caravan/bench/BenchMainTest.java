package dev.caravan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.kjob.local.SpawnTimer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The benchmark harness compiles and runs: one tiny scenario end to end and the parsing of wrk's
 * output. No timing is asserted (bench/run.sh measures; see docs/performance.md).
 */
class BenchMainTest {

  /** The app of the end-to-end and API scenarios, shared by their tests. */
  private static BenchApp app;

  @BeforeAll
  static void startTheApp() throws Exception {
    app = BenchApp.start();
  }

  @AfterAll
  static void stopTheApp() throws Exception {
    app.close();
  }

  private static final String WRK =
      """
      Running 15s test @ http://127.0.0.1:8080/events/github
        2 threads and 16 connections
        Thread Stats   Avg      Stdev     Max   +/- Stdev
          Latency     5.10ms    2.20ms  40.00ms   80.00%
          Req/Sec     1.60k   200.00     2.00k    70.00%
        Latency Distribution
           50%  850.00us
           75%    6.00ms
           90%    8.00ms
           99%    1.20s
        48000 requests in 15.00s, 6.00MB read
        Non-2xx or 3xx responses: 3
      Requests/sec:   3200.00
      Transfer/sec:    409.60KB
      """;

  @Test
  void localStepScenarioProducesItsRow() throws Exception {
    List<BenchMain.Row> rows = BenchMain.localSteps(5);

    assertThat(rows)
        .hasSize(SpawnTimer.available() ? 4 : 3)
        .allSatisfy(
            row -> {
              assertThat(row.scenario()).isEqualTo("local step overhead");
              assertThat(row.caravan()).isPositive();
              assertThat(row.baseline()).isPositive();
            });
    assertThat(rows.get(0).metric()).startsWith("median step of 1 x 5 sequential");
    assertThat(rows.get(0).goal()).startsWith("<= raw + 1 ms");
    assertThat(rows.get(0).met()).isNotNull();
    assertThat(BenchMain.table(rows)).contains("local step overhead").contains("ms/step");
  }

  @Test
  void endToEndScenarioProducesItsRows() throws Exception {
    List<BenchMain.Row> rows = EndToEndRuns.measure(app, 20, 2, 1);

    assertThat(rows)
        .hasSize(5)
        .allSatisfy(row -> assertThat(row.scenario()).isEqualTo("end-to-end runs"));
    BenchMain.Row throughput = rows.get(0);
    assertThat(throughput.unit()).isEqualTo("runs/s");
    assertThat(throughput.metric()).contains("40 deliveries offered at 20/s for 2 s");
    assertThat(throughput.caravan()).isPositive();
    assertThat(throughput.baseline()).isPositive();
    assertThat(throughput.ratio()).isPositive();
    assertThat(throughput.goal()).isEqualTo(">= 150 runs/s with p99 < 1 s");
    assertThat(throughput.met()).isNotNull();
    assertThat(rows.get(1).unit()).isEqualTo("ms");
    assertThat(rows.get(1).caravan()).isPositive();
    assertThat(rows.get(2).caravan()).isGreaterThanOrEqualTo(rows.get(1).caravan());
    assertThat(rows.get(2).met()).isNotNull();
    // every delivery was accepted and its run succeeded
    assertThat(rows.get(3).caravan()).isZero();
    assertThat(rows.get(4).metric()).startsWith("the warm-up: the same load for the 1 s before");
    assertThat(rows.get(4).caravan()).isPositive();
  }

  @Test
  void apiUnderLoadScenarioProducesItsRows() throws Exception {
    List<BenchMain.Row> rows = ApiUnderLoad.measure(app, 200, 2, 1);

    assertThat(rows)
        .hasSize(8)
        .allSatisfy(
            row -> {
              assertThat(row.scenario()).isEqualTo("api under load");
              assertThat(row.caravan()).isNotNegative();
            });
    assertThat(rows)
        .filteredOn(row -> "< 50 ms".equals(row.goal()))
        .extracting(BenchMain.Row::metric)
        .hasSize(3)
        .anySatisfy(metric -> assertThat(metric).startsWith("GET /api/runs (first page"))
        .anySatisfy(metric -> assertThat(metric).startsWith("GET /api/runs?pipeline=bench-e2e"))
        .anySatisfy(metric -> assertThat(metric).startsWith("GET /api/runs/{id}"));
    assertThat(rows)
        .filteredOn(row -> "< 50 ms".equals(row.goal()))
        .allSatisfy(
            row -> {
              assertThat(row.caravan()).isPositive();
              assertThat(row.baseline()).isPositive();
              assertThat(row.met()).isNotNull();
            });
    // every request was answered 200
    assertThat(rows.get(6).metric()).startsWith("failed requests");
    assertThat(rows.get(6).caravan()).isZero();
    assertThat(rows.get(7).metric()).contains("countRuns");
  }

  @Test
  void largeOutputScenarioProducesItsRows() throws Exception {
    List<BenchMain.Row> rows = BenchMain.largeOutput(2, 3_000_000);

    assertThat(rows).hasSize(2).allSatisfy(row -> assertThat(row.caravan()).isPositive());
    assertThat(rows.get(0).unit()).isEqualTo("MB");
    assertThat(rows.get(0).baseline()).isPositive();
    assertThat(rows.get(1).unit()).isEqualTo("s");
  }

  @Test
  void webhookRowsComeFromWrkOutput() {
    List<BenchMain.Row> rows = BenchMain.webhook(WRK, WRK.replace("3200.00", "6400.00"));

    assertThat(rows).hasSize(4);
    assertThat(rows.get(0).caravan()).isEqualTo(3200.0);
    assertThat(rows.get(0).ratio()).isEqualTo(0.5);
    assertThat(rows.get(0).goal()).isEqualTo("gateway >= 0.8 of bare");
    assertThat(rows.get(0).met()).isFalse();
    assertThat(rows.get(1).caravan()).isEqualTo(0.85);
    assertThat(rows.get(2).caravan()).isEqualTo(1200.0);
    assertThat(rows.get(3).caravan()).isEqualTo(3.0);
    assertThat(rows.get(3).met()).isFalse();
  }

  @Test
  void runsPageRowsComeFromWrkOutput() {
    List<BenchMain.Row> rows = BenchMain.runsPage(WRK, WRK.replace("1.20s", "600.00us"), "10000");

    assertThat(rows).hasSize(3);
    assertThat(rows.get(0).scenario()).contains("10000 runs");
    assertThat(rows.get(0).caravan()).isEqualTo(1200.0);
    assertThat(rows.get(0).baseline()).isEqualTo(0.6);
    assertThat(rows.get(0).met()).isFalse();
    assertThat(rows.get(2).caravan()).isEqualTo(3.0);
  }

  @Test
  void commandLineRowIsTheMedianOfEachSeries() {
    BenchMain.Row row =
        BenchMain.commandLine(List.of("900", "700", "800", ""), List.of("12", "10", "11", "30"));

    assertThat(row.caravan()).isEqualTo(800);
    assertThat(row.baseline()).isEqualTo(11.5);
    assertThat(row.met()).isFalse();
  }
}
