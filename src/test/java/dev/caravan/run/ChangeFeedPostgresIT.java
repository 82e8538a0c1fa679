package dev.caravan.run;

import dev.caravan.event.PostgresServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ChangeFeedContract} on a real PostgreSQL (zonky embedded, as {@code
 * PostgresEventStoreIT}): two Caravans on one store, and transactions that commit out of the order
 * of their changes.
 */
class ChangeFeedPostgresIT extends ChangeFeedContract {

  @RegisterExtension static final PostgresServer postgres = new PostgresServer("changes");

  @Override
  DataSource freshDatabase() throws Exception {
    return postgres.freshDatabase();
  }
}
