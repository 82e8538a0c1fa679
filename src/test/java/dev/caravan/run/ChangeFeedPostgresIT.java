package dev.caravan.run;

import dev.caravan.event.PostgresServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link ChangeFeedContract} on a real PostgreSQL (zonky embedded, as {@code
 * PostgresEventStoreIT}): two Caravans on one store, and transactions that commit out of the order
 * of their changes.
 */
class ChangeFeedPostgresIT extends ChangeFeedContract {

  private static PostgresServer postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = PostgresServer.start("changes");
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
}
