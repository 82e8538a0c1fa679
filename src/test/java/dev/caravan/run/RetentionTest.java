package dev.caravan.run;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The retention scenarios on H2, the embedded default (a file database, as in production). */
class RetentionTest extends RetentionScenarios {

  private static final AtomicInteger DATABASES = new AtomicInteger();

  @TempDir Path dir;

  private JdbcDataSource database;

  @Override
  DataSource freshDatabase() {
    JdbcDataSource database = new JdbcDataSource();
    database.setURL(
        "jdbc:h2:file:"
            + dir.resolve("caravan-" + DATABASES.incrementAndGet())
            + ";WRITE_DELAY=0;DB_CLOSE_DELAY=-1");
    database.setUser("sa");
    this.database = database;
    return database;
  }

  /** Kept open between connections (reopening the file per transaction is slow); closed here. */
  @AfterEach
  void closeDatabase() throws Exception {
    try (Connection connection = database.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("SHUTDOWN");
    }
  }

  @Override
  String table() {
    return "CARAVAN_RUN";
  }
}
