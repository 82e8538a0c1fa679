package dev.caravan.run;

import static dev.caravan.store.Jdbc.utc;

import dev.caravan.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The change feed's table (caravan_change): one row per change of a run or a step, inserted in the
 * transaction that makes the change (one insert, so that the write path stays cheap), so that every
 * Caravan instance on the store sees every change, whichever instance made it. A row names what
 * changed; readers read the run or step as it is now. Rows are numbered by an increasing {@code
 * seq}; on PostgreSQL they may become visible out of that order (transactions commit in any order),
 * which {@link ChangeFeed} accounts for. Kept for {@link #KEPT}, then deleted by the retention
 * service.
 */
public final class ChangeLog {

  /** How long changes are kept: a client may resume a stream from a change at most this old. */
  public static final Duration KEPT = Duration.ofHours(1);

  /** What changed. */
  public enum Kind {
    RUN,
    STEP;

    /** The name of the kind in the change log and in streams ({@code run}, {@code step}). */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One change: of a run, or of one attempt of one of its steps (then {@code stepName}, {@code
   * fanOutIndex} and {@code attempt} are set).
   */
  public record Change(
      long seq,
      Kind kind,
      String runId,
      String pipeline,
      String stepName,
      String fanOutIndex,
      Integer attempt,
      Instant changed) {}

  private static final String INSERT =
      "INSERT INTO caravan_change (kind, run_id, pipeline, step_name, fan_out_index, attempt,"
          + " changed_at) SELECT ?, id, pipeline, ?, ?, ?, ? FROM caravan_run WHERE id = ?";

  private static final String COLUMNS =
      "seq, kind, run_id, pipeline, step_name, fan_out_index, attempt, changed_at";

  private final Jdbc jdbc;

  public ChangeLog(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  /** Records, in the caller's transaction, that runs changed (created, started, ended, ...). */
  static void runsChanged(Connection connection, List<String> runIds) throws SQLException {
    if (runIds.isEmpty()) {
      return;
    }
    try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
      for (String runId : runIds) {
        bind(insert, Kind.RUN, runId, null, null, null);
        if (runIds.size() == 1) {
          insert.executeUpdate();
          return;
        }
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  /** Records, in the caller's transaction, that a run changed. */
  static void runChanged(Connection connection, String runId) throws SQLException {
    runsChanged(connection, List.of(runId));
  }

  /** Records, in the caller's transaction, that one attempt of a step changed. */
  static void stepChanged(
      Connection connection, String runId, String stepName, String fanOutIndex, int attempt)
      throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
      bind(insert, Kind.STEP, runId, stepName, fanOutIndex, attempt);
      insert.executeUpdate();
    }
  }

  private static void bind(
      PreparedStatement insert,
      Kind kind,
      String runId,
      String stepName,
      String fanOutIndex,
      Integer attempt)
      throws SQLException {
    insert.setString(1, kind.label());
    if (stepName == null) {
      insert.setNull(2, Types.VARCHAR);
      insert.setNull(3, Types.VARCHAR);
      insert.setNull(4, Types.INTEGER);
    } else {
      insert.setString(2, stepName);
      insert.setString(3, fanOutIndex);
      insert.setInt(4, attempt);
    }
    insert.setObject(5, utc(Instant.now()));
    insert.setString(6, runId);
  }

  /** At most {@code limit} changes after {@code afterSeq} and up to {@code untilSeq}, in order. */
  public List<Change> between(long afterSeq, long untilSeq, int limit) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + " FROM caravan_change WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?")) {
            query.setLong(1, afterSeq);
            query.setLong(2, untilSeq);
            query.setInt(3, limit);
            List<Change> found = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                found.add(change(rows));
              }
            }
            return found;
          }
        });
  }

  /** At most {@code limit} changes after {@code afterSeq}, in order. */
  public List<Change> after(long afterSeq, int limit) {
    return between(afterSeq, Long.MAX_VALUE, limit);
  }

  /** The highest seq now visible (0 when there are no changes). */
  public long latest() {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
                  connection.prepareStatement("SELECT MAX(seq) FROM caravan_change");
              ResultSet rows = query.executeQuery()) {
            return rows.next() ? rows.getLong(1) : 0L;
          }
        });
  }

  /**
   * Deletes the changes made before {@code before}, in batches of {@code batchSize}.
   *
   * @return how many it deleted
   */
  public long prune(Instant before, int batchSize) {
    long total = 0;
    while (true) {
      int deleted =
          jdbc.write(
              connection -> {
                List<Long> batch = new ArrayList<>();
                try (PreparedStatement query =
                    connection.prepareStatement(
                        "SELECT seq FROM caravan_change WHERE changed_at < ? ORDER BY seq LIMIT"
                            + " ?")) {
                  query.setObject(1, utc(before));
                  query.setInt(2, batchSize);
                  try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                      batch.add(rows.getLong(1));
                    }
                  }
                }
                if (batch.isEmpty()) {
                  return 0;
                }
                try (PreparedStatement delete =
                    connection.prepareStatement(
                        "DELETE FROM caravan_change WHERE seq >= ? AND seq <= ? AND changed_at <"
                            + " ?")) {
                  delete.setLong(1, batch.get(0));
                  delete.setLong(2, batch.get(batch.size() - 1));
                  delete.setObject(3, utc(before));
                  return delete.executeUpdate();
                }
              });
      total += deleted;
      if (deleted < batchSize) {
        return total;
      }
    }
  }

  private static Change change(ResultSet rows) throws SQLException {
    int attempt = rows.getInt(7);
    Integer attemptOrNull = rows.wasNull() ? null : attempt;
    return new Change(
        rows.getLong(1),
        Kind.valueOf(rows.getString(2).toUpperCase(Locale.ROOT)),
        rows.getString(3),
        rows.getString(4),
        rows.getString(5),
        rows.getString(6),
        attemptOrNull,
        Jdbc.instant(rows.getObject(8, OffsetDateTime.class)));
  }
}
