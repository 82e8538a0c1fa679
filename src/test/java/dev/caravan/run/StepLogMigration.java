package dev.caravan.run;

import dev.caravan.store.Database;
import dev.caravan.store.StoreHealth;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * A database as version 2 of the schema left it (a step's log as one {@code caravan_step.log}
 * value), then migrated to the newest version: shared by the H2 and PostgreSQL migration tests.
 */
public final class StepLogMigration {

  /** A log longer than three chunks, with characters of one, two, three and four UTF-8 bytes. */
  public static final String LONG_LOG = "abc é ✓ \uD83D\uDE80\n".repeat(5000);

  private StepLogMigration() {}

  /**
   * Migrates to version 2, stores run {@code r-1} with step {@code build} (log {@link #LONG_LOG}),
   * step {@code empty} (empty log) and step {@code none} (no log), then migrates to the newest.
   */
  public static void migrateFromVersion2(DataSource dataSource) throws SQLException {
    Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/caravan")
        .table("caravan_schema_history")
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .target("2")
        .load()
        .migrate();
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "INSERT INTO caravan_event (id, source, type, event_time, received_at, labels) VALUES"
              + " ('e-1', 'test', 'go', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}')");
      statement.execute(
          "INSERT INTO caravan_run (id, event_id, pipeline, status, created_at) VALUES"
              + " ('r-1', 'e-1', 'pipe', 'RUNNING', CURRENT_TIMESTAMP)");
      statement.execute(
          "INSERT INTO caravan_run (id, event_id, pipeline, status, created_at) VALUES"
              + " ('r-2', 'e-1', 'pipe', 'PENDING', CURRENT_TIMESTAMP)");
      try (PreparedStatement step =
          connection.prepareStatement(
              "INSERT INTO caravan_step (run_id, step_name, fan_out_index, attempt, executor,"
                  + " job_name, status, started_at, log) VALUES ('r-1', ?, '', 1, 'local', ?,"
                  + " 'SUCCEEDED', CURRENT_TIMESTAMP, ?)")) {
        for (String[] row : new String[][] {{"build", LONG_LOG}, {"empty", ""}, {"none", null}}) {
          step.setString(1, row[0]);
          step.setString(2, row[0] + "-job");
          step.setString(3, row[1]);
          step.executeUpdate();
        }
      }
    }
    Database.on(dataSource, new StoreHealth());
  }
}
