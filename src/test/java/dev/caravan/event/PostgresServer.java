package dev.caravan.event;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A real PostgreSQL for tests (zonky embedded; as root it runs the server in a user namespace via
 * {@code unshare}), started once per test class, that hands out a fresh, empty database per test.
 */
public final class PostgresServer implements AutoCloseable {

  private final EmbeddedPostgres postgres;
  private final String prefix;
  private final AtomicInteger databases = new AtomicInteger();

  private PostgresServer(EmbeddedPostgres postgres, String prefix) {
    this.postgres = postgres;
    this.prefix = prefix;
  }

  /** Starts a server whose databases are named {@code <prefix>_<n>}. */
  public static PostgresServer start(String prefix) throws IOException {
    return new PostgresServer(EmbeddedPostgres.builder().start(), prefix);
  }

  /** A new, empty database on the server. */
  public DataSource freshDatabase() throws SQLException {
    String name = prefix + "_" + databases.incrementAndGet();
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
    return postgres.getDatabase("postgres", name);
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
