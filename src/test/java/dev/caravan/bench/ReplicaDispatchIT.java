package dev.caravan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Scenario 10 runs (on an embedded PostgreSQL) and yields its rows; it asserts no timing. */
class ReplicaDispatchIT {

  @Test
  void replicaDispatchScenarioProducesItsRows() throws Exception {
    List<BenchMain.Row> rows = ReplicaDispatch.measure(20, 20, 500);

    assertThat(rows)
        .hasSize(2)
        .allSatisfy(
            row -> {
              assertThat(row.scenario()).isEqualTo("replica dispatch");
              assertThat(row.unit()).isEqualTo("ms");
              assertThat(row.caravan()).isNotNegative();
              assertThat(row.baseline()).isPositive();
            });
    assertThat(rows.get(0).metric()).contains("20 events published on replica A at 20/s");
    assertThat(rows.get(1).metric()).contains("20 of 20 delivered");
  }
}
