package dev.caravan.run;

import dev.caravan.event.PostgresServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The retention scenarios on a real PostgreSQL, one fresh database per test. */
class PostgresRetentionIT extends RetentionScenarios {

  private static PostgresServer postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = PostgresServer.start("retention");
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Override
  DataSource freshDatabase() throws Exception {
    return postgres.freshDatabase();
  }

  @Override
  String table() {
    return "caravan_run";
  }
}
