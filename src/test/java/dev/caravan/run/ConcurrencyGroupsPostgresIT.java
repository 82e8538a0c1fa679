package dev.caravan.run;

import dev.caravan.event.PostgresServer;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ConcurrencyGroupsContract} on a real PostgreSQL (zonky embedded): among others, two
 * Caravans on one store keep a group's limit and order.
 */
class ConcurrencyGroupsPostgresIT extends ConcurrencyGroupsContract {

  @RegisterExtension static final PostgresServer postgres = new PostgresServer("groups");

  @Override
  DataSource freshDatabase() throws Exception {
    return postgres.freshDatabase();
  }
}
