package dev.caravan.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/** Transactions on a DataSource, shared by Caravan's JDBC stores. */
public final class Jdbc {

  /** SQLSTATE of a unique or primary key violation, on H2 and PostgreSQL alike. */
  public static final String UNIQUE_VIOLATION = "23505";

  private final DataSource dataSource;
  private final StoreHealth health;
  private final GroupCommit groupCommit;
  private volatile Commits commits;

  public Jdbc(DataSource dataSource) {
    this(dataSource, new StoreHealth());
  }

  /**
   * @param health hears whether each {@link #write} worked
   */
  public Jdbc(DataSource dataSource, StoreHealth health) {
    this(dataSource, health, GroupCommit.GATHER_WINDOW, GroupCommit.GATHER_GAP);
  }

  /** With how long shared commits wait for more writers (see {@link GroupCommit}). */
  Jdbc(DataSource dataSource, StoreHealth health, Duration gatherWindow, Duration gatherGap) {
    this.dataSource = dataSource;
    this.health = health;
    this.groupCommit = new GroupCommit(dataSource, this::commits, gatherWindow, gatherGap);
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
    return insertedRows(connection, insert) != DUPLICATE;
  }

  /**
   * Whether the connection is PostgreSQL's (through a pool's proxy too): what only PostgreSQL has,
   * {@code SKIP LOCKED} claims and {@code NOTIFY}, is used there alone.
   */
  public static boolean isPostgres(Connection connection) throws SQLException {
    return connection.isWrapperFor(PGConnection.class);
  }

  /** Returned by {@link #insertedRows} when a row with the same key was there already. */
  public static final int DUPLICATE = -1;

  /**
   * Runs an insert (possibly an {@code INSERT ... SELECT}) that may meet a row with the same key,
   * under a savepoint: the number of rows it inserted, or {@link #DUPLICATE}.
   */
  public static int insertedRows(Connection connection, PreparedStatement insert)
      throws SQLException {
    Savepoint savepoint = connection.setSavepoint();
    try {
      int rows = insert.executeUpdate();
      connection.releaseSavepoint(savepoint);
      return rows;
    } catch (SQLException e) {
      if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
        throw e;
      }
      connection.rollback(savepoint);
      return DUPLICATE;
    }
  }

  /**
   * Runs work that writes, committed when this returns, and tells the store's health whether it
   * worked. On an embedded H2, writes that arrive together share one transaction (see {@link
   * GroupCommit}), each under a savepoint of its own: a work must not commit or roll back the
   * connection itself (it rolls back to a savepoint of its own, as {@link #insertIfAbsent} does),
   * and whatever it throws undoes its own statements only. A write from inside a write's work gets
   * a transaction of its own.
   */
  public <T> T write(Work<T> work) {
    T result;
    try {
      result =
          groupCommit.isWriting() || !grouping() ? transaction(work, commits()) : grouped(work);
    } catch (RuntimeException | Error e) {
      health.failed(e);
      throw e;
    }
    health.written();
    return result;
  }

  /** Whether writes share commits: on an embedded H2 only (see {@link GroupCommit#suits}). */
  public boolean grouping() {
    return commits().grouped();
  }

  private Commits commits() {
    Commits known = commits;
    if (known == null) {
      try (Connection connection = dataSource.getConnection()) {
        known = Commits.of(connection);
      } catch (SQLException e) {
        throw new StoreException("Store failed: " + e.getMessage(), e);
      }
      commits = known;
    }
    return known;
  }

  /** How many writes wait for the writer (for tests and metrics). */
  public int queuedWrites() {
    return groupCommit.queued();
  }

  private <T> T grouped(Work<T> work) {
    try {
      return groupCommit.write(work);
    } catch (SQLException e) {
      throw new StoreException("Store failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs the work in one transaction: committed when it returns, rolled back when it throws. For
   * reads, and for writes that need not reach the file before they return; other writes go through
   * {@link #write}.
   */
  public <T> T inTransaction(Work<T> work) {
    return transaction(work, Commits.PLAIN);
  }

  private <T> T transaction(Work<T> work, Commits commits) {
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        T result = work.run(connection);
        commits.commit(connection);
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
