package dev.caravan.run;

import java.nio.file.Path;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.io.TempDir;

/** {@link ConcurrencyGroupsContract} on an H2 file database. */
class ConcurrencyGroupsH2Test extends ConcurrencyGroupsContract {

  @TempDir Path databases;

  @Override
  DataSource freshDatabase() {
    JdbcDataSource database = new JdbcDataSource();
    database.setURL("jdbc:h2:file:" + databases.resolve(UUID.randomUUID().toString()));
    database.setUser("sa");
    return database;
  }
}
