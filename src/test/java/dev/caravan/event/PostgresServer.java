package dev.caravan.event;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL for tests (zonky embedded; as root it runs the server in a user namespace via
 * {@code unshare}), started once per test class that registers it ({@code @RegisterExtension static
 * final PostgresServer postgres = new PostgresServer("prefix")}), that hands out a fresh, empty
 * database per test.
 */
public final class PostgresServer implements BeforeAllCallback, AfterAllCallback {

  /** The server's superuser, whom it trusts without a password. */
  public static final String USER = "postgres";

  private final String prefix;
  private final AtomicInteger databases = new AtomicInteger();
  private EmbeddedPostgres postgres;

  /** A server whose databases are named {@code <prefix>_<n>}. */
  public PostgresServer(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    postgres = EmbeddedPostgres.builder().start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  /** A new, empty database on the server. */
  public DataSource freshDatabase() throws SQLException {
    return postgres.getDatabase(USER, createDatabase());
  }

  /**
   * The JDBC URL of a new, empty database on the server, for another JVM (user {@value #USER}, no
   * password).
   */
  public String freshDatabaseUrl() throws SQLException {
    return postgres.getJdbcUrl(USER, createDatabase());
  }

  private String createDatabase() throws SQLException {
    String name = prefix + "_" + databases.incrementAndGet();
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
    return name;
  }
}
