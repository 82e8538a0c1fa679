package dev.caravan.run;

import dev.caravan.event.PostgresServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The retention scenarios on a real PostgreSQL, one fresh database per test. */
class PostgresRetentionIT extends RetentionScenarios {

  @RegisterExtension static final PostgresServer postgres = new PostgresServer("retention");

  @Override
  DataSource freshDatabase() throws Exception {
    return postgres.freshDatabase();
  }

  @Override
  String table() {
    return "caravan_run";
  }
}
