package dev.caravan.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;

/** Transactions on a DataSource, shared by Caravan's JDBC stores. */
public final class Jdbc {

  /** SQLSTATE of a unique or primary key violation, on H2 and PostgreSQL alike. */
  public static final String UNIQUE_VIOLATION = "23505";

  private final DataSource dataSource;
  private final StoreHealth health;

  public Jdbc(DataSource dataSource) {
    this(dataSource, new StoreHealth());
  }

  /**
   * @param health hears whether each {@link #write} worked
   */
  public Jdbc(DataSource dataSource, StoreHealth health) {
    this.dataSource = dataSource;
    this.health = health;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public StoreHealth health() {
    return health;
  }

  /**
   * Runs an insert that may meet a row with the same key: {@code true} when it inserted, {@code
   * false} when the row was there already. PostgreSQL aborts the transaction on the violation, so
   * the insert runs under a savepoint that is rolled back to.
   */
  public static boolean insertIfAbsent(Connection connection, PreparedStatement insert)
      throws SQLException {
    Savepoint savepoint = connection.setSavepoint();
    try {
      insert.executeUpdate();
      connection.releaseSavepoint(savepoint);
      return true;
    } catch (SQLException e) {
      if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
        throw e;
      }
      connection.rollback(savepoint);
      return false;
    }
  }

  /**
   * Runs work that writes in one transaction, as {@link #inTransaction}, and tells the store's
   * health whether it worked.
   */
  public <T> T write(Work<T> work) {
    T result;
    try {
      result = inTransaction(work);
    } catch (RuntimeException | Error e) {
      health.failed(e);
      throw e;
    }
    health.written();
    return result;
  }

  /** Runs the work in one transaction: committed when it returns, rolled back when it throws. */
  public <T> T inTransaction(Work<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        T result = work.run(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new StoreException("Store failed: " + e.getMessage(), e);
    }
  }

  public static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  public static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }

  /** Work on one connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection connection) throws SQLException;
  }
}
