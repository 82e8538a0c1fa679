package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.event.Event;
import dev.caravan.event.Subscription;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pages of the runs list: newest first, filtered by pipeline or not. */
class RunsPageTest {

  @TempDir Path dir;

  private JdbcDataSource database;
  private RunStores stores;
  private final List<String> ofA = new ArrayList<>();
  private final List<String> all = new ArrayList<>();

  @BeforeEach
  void runsOfTwoPipelinesInterleaved() {
    database = new JdbcDataSource();
    database.setURL("jdbc:h2:file:" + dir.resolve("db"));
    database.setUser("sa");
    stores = new RunStores(database);
    stores.events.subscribe(new Subscription("a", "test", List.of("a"), null));
    stores.events.subscribe(new Subscription("b", "test", List.of("b"), null));
    for (int i = 0; i < 7; i++) {
      String pipeline = i % 3 == 0 ? "b" : "a";
      stores.events.append(
          new Event("e-" + i, "test", pipeline, null, Instant.now(), Map.of(), "{}"));
      String run = stores.runs.runs(pipeline, null, "e-" + i, 1, 0).get(0).id();
      all.add(0, run);
      if (pipeline.equals("a")) {
        ofA.add(0, run);
      }
    }
  }

  @Test
  void onePipelinesPagesAreItsRunsNewestFirst() {
    assertThat(ids(stores.runs.runs("a", null, null, 3, 0)))
        .containsExactlyElementsOf(ofA.subList(0, 3));
    assertThat(ids(stores.runs.runs("a", null, null, 3, 3)))
        .containsExactlyElementsOf(ofA.subList(3, 4));
    assertThat(ids(stores.runs.runs(null, null, null, 4, 2)))
        .containsExactlyElementsOf(all.subList(2, 6));
  }

  @Test
  void onePipelinesPageWalksItsIndexInsteadOfSortingItsRuns() throws Exception {
    try (Connection connection = database.getConnection();
        Statement statement = connection.createStatement();
        ResultSet plan =
            statement.executeQuery(
                "EXPLAIN SELECT r.id FROM caravan_run r WHERE r.pipeline = 'a'"
                    + JdbcRunStore.pageOrder(true)
                    + " LIMIT 3 OFFSET 0")) {
      plan.next();
      assertThat(plan.getString(1)).contains("CARAVAN_RUN_PIPELINE_SEQ").contains("index sorted");
    }
  }

  private static List<String> ids(List<RunView> runs) {
    return runs.stream().map(RunView::id).toList();
  }
}
