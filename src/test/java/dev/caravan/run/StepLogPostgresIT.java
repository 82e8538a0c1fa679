package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.event.PostgresServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link StepLogContract} on a real PostgreSQL (zonky embedded, as {@code PostgresEventStoreIT}),
 * plus the migration of logs stored before schema version 3.
 */
class StepLogPostgresIT extends StepLogContract {

  @RegisterExtension static final PostgresServer postgres = new PostgresServer("steplog");

  @Override
  DataSource freshDatabase() throws Exception {
    return postgres.freshDatabase();
  }

  @Test
  void logsStoredBeforeVersion3AreReadFromTheirChunksAfterIt() throws Exception {
    DataSource database = freshDatabase();

    StepLogMigration.migrateFromVersion2(database);

    JdbcStepJournal runs = new JdbcStepJournal(database);
    assertThat(runs.log("r-1", "build", "", 1)).isEqualTo(StepLogMigration.LONG_LOG);
    assertThat(runs.log("r-1", "empty", "", 1)).isEmpty();
    assertThat(runs.log("r-1", "none", "", 1)).isEmpty();
    assertThat(runs.latest("r-1", "build", "").orElseThrow().output())
        .isEqualTo(StepLogMigration.LONG_LOG);
  }
}
