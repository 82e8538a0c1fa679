package dev.caravan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The scenarios on an embedded PostgreSQL run and yield their rows; they assert no timing. */
class PostgresScenariosIT {

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

  @Test
  void storeStatementsScenarioProducesItsRows() throws Exception {
    List<BenchMain.Row> rows = StoreStatements.measure(10);

    assertThat(rows)
        .hasSize(3)
        .allSatisfy(
            row -> {
              assertThat(row.scenario()).isEqualTo("store statements");
              assertThat(row.unit()).isEqualTo("statements");
            });
    // an event is stored by one statement at least, a run and a step take more than nothing
    assertThat(rows.get(0).caravan()).isGreaterThanOrEqualTo(1);
    assertThat(rows.get(1).caravan()).isPositive();
    assertThat(rows.get(2).caravan()).isPositive();
  }
}
