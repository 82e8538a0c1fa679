package dev.caravan.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.support.CamelContextHelper;
import org.flywaydb.core.Flyway;

/**
 * Caravan's database: events, deliveries, runs, steps and their logs, in one schema that is
 * migrated with Flyway ({@code classpath:db/caravan}, history table {@code caravan_schema_history})
 * when the database is opened. Embedded H2 by default, PostgreSQL in production. Every write goes
 * through {@link #jdbc()}, whose {@link StoreHealth} tells health checks whether the store takes
 * writes.
 */
public final class Database implements AutoCloseable {

  /**
   * Settings of an embedded H2 file store: every commit written to the file before it returns
   * ({@code WRITE_DELAY=0}, so it survives a SIGKILL right after). H2 then never compacts the file
   * (its background writer, which does, is off); a URL with a write delay compacts, and each write
   * is still in the file when it returns ({@link Commits}), at a cost in throughput
   * (docs/reliability.md).
   */
  public static final String H2_FILE_SETTINGS = ";WRITE_DELAY=0";

  /** The default database: an H2 file that survives a SIGKILL right after a commit. */
  public static final String DEFAULT_JDBC_URL =
      "jdbc:h2:file:./caravan-data/caravan" + H2_FILE_SETTINGS;

  /** The key of the advisory lock of migrations: "caravan" in ASCII. */
  private static final long MIGRATION_LOCK = 0x63617261_76616EL;

  private final Jdbc jdbc;
  private final HikariDataSource owned;

  private Database(DataSource dataSource, HikariDataSource owned, StoreHealth health) {
    this.jdbc = new Jdbc(dataSource, health);
    this.owned = owned;
  }

  /** A database on a DataSource someone else owns (and closes). */
  public static Database on(DataSource dataSource, StoreHealth health) {
    return new Database(dataSource, null, health).migrate();
  }

  /** A database with a connection pool of its own, closed by {@link #close()}. */
  public static Database open(String url, String user, String password, StoreHealth health) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setPoolName("caravan-store");
    HikariDataSource pool = new HikariDataSource(config);
    try {
      return new Database(pool, pool, health).migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /** The database of the context (bound by the event component when it starts), or null. */
  public static Database find(CamelContext context) {
    return CamelContextHelper.findSingleByType(context, Database.class);
  }

  private Database migrate() {
    try (Connection lock = jdbc.dataSource().getConnection()) {
      boolean postgres = Jdbc.isPostgres(lock);
      if (postgres) {
        advisoryLock(lock, "pg_advisory_lock");
      }
      try {
        Flyway.configure()
            .dataSource(jdbc.dataSource())
            .locations("classpath:db/caravan")
            .table("caravan_schema_history")
            .baselineOnMigrate(true)
            .baselineVersion("0")
            .load()
            .migrate();
      } finally {
        if (postgres) {
          advisoryLock(lock, "pg_advisory_unlock");
        }
      }
    } catch (SQLException e) {
      throw new StoreException("Could not migrate the store: " + e.getMessage(), e);
    }
    return this;
  }

  /**
   * Takes or gives back, on PostgreSQL, the session lock under which one Caravan at a time migrates
   * the schema: replicas starting together on an empty database would otherwise race to create
   * Flyway's history table, and the losers' Flyway fails ("Unable to baseline schema history table
   * ... as it already exists, and is empty") before its own lock is taken.
   */
  private static void advisoryLock(Connection connection, String function) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("SELECT " + function + "(?)")) {
      statement.setLong(1, MIGRATION_LOCK);
      try (ResultSet ignored = statement.executeQuery()) {
        // one row: void, or whether the lock was held
      }
    }
  }

  public Jdbc jdbc() {
    return jdbc;
  }

  public DataSource dataSource() {
    return jdbc.dataSource();
  }

  public StoreHealth health() {
    return jdbc.health();
  }

  /** Closes the connection pool if this database opened it. */
  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
