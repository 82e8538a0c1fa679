package dev.caravan.run;

import static dev.caravan.store.Jdbc.utc;

import dev.caravan.kjob.StepJournal;
import dev.caravan.kjob.StepRecord;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import dev.caravan.store.Jdbc;
import dev.caravan.store.StoreHealth;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The steps of runs and their logs (tables caravan_step, caravan_step_log): kjob's journal, and the
 * step queries behind the runs API. A step's log is a sequence of chunks, appended while the step
 * runs and when it ends, never rewritten.
 */
public class JdbcStepJournal implements StepJournal {

  /** Most characters of one log chunk (at most 48 KiB of UTF-8). */
  public static final int CHUNK_CHARS = 16384;

  private static final String STEP_COLUMNS =
      "attempt, executor, job_name, namespace, status, exit_code, started_at, ended_at";
  private static final String STEP_KEY =
      "run_id = ? AND step_name = ? AND fan_out_index = ? AND attempt = ?";

  private final Jdbc jdbc;

  /** How far the log of each step running here has been appended. */
  private final Map<StepKey, LogProgress> progress = new ConcurrentHashMap<>();

  /** A journal with a health of its own (tests). */
  public JdbcStepJournal(DataSource dataSource) {
    this(new Jdbc(dataSource, new StoreHealth()));
  }

  public JdbcStepJournal(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  /** One attempt of one step of one run. */
  private record StepKey(String runId, String stepName, String fanOutIndex, int attempt) {
    static StepKey of(StepRequest request) {
      return new StepKey(
          request.runId(), request.stepName(), request.fanOutIndex(), request.attempt());
    }

    int bind(PreparedStatement statement, int first) throws SQLException {
      statement.setString(first, runId);
      statement.setString(first + 1, stepName);
      statement.setString(first + 2, fanOutIndex);
      statement.setInt(first + 3, attempt);
      return first + 4;
    }
  }

  /**
   * The next chunk number and the characters appended so far of one step's log; guarded by its own
   * monitor, so that the last live append and the end of the step never interleave.
   */
  private static final class LogProgress {
    boolean loaded;
    boolean retired;
    int nextSeq;
    long chars;
  }

  /** One chunk of a log. */
  public record LogChunk(int seq, String content) {}

  @Override
  public RunState runState(String runId) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement("SELECT status FROM caravan_run WHERE id = ?")) {
            query.setString(1, runId);
            try (ResultSet rows = query.executeQuery()) {
              if (!rows.next()) {
                return RunState.UNTRACKED;
              }
              return RunStatus.CANCELED.name().equals(rows.getString(1))
                  ? RunState.CANCELED
                  : RunState.ACTIVE;
            }
          }
        });
  }

  @Override
  public Optional<StepRecord> latest(String runId, String stepName, String fanOutIndex) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT "
                      + STEP_COLUMNS
                      + " FROM caravan_step WHERE run_id = ? AND step_name = ? AND fan_out_index"
                      + " = ? ORDER BY attempt DESC")) {
            query.setString(1, runId);
            query.setString(2, stepName);
            query.setString(3, fanOutIndex);
            query.setMaxRows(1);
            StepRecord found;
            try (ResultSet rows = query.executeQuery()) {
              if (!rows.next()) {
                return Optional.empty();
              }
              found = record(rows);
            }
            if (!found.hasEnded()) {
              return Optional.of(found);
            }
            // a resumed or replayed run gives back the output of an ended step
            String output =
                log(connection, new StepKey(runId, stepName, fanOutIndex, found.attempt()));
            return Optional.of(withOutput(found, output));
          }
        });
  }

  @Override
  public void copy(String fromRunId, String toRunId, String stepName, String fanOutIndex) {
    jdbc.write(
        connection -> {
          Integer attempt = null;
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT attempt FROM caravan_step WHERE run_id = ? AND step_name = ? AND"
                      + " fan_out_index = ? AND status = ? ORDER BY attempt DESC")) {
            query.setString(1, fromRunId);
            query.setString(2, stepName);
            query.setString(3, fanOutIndex);
            query.setString(4, StepStatus.SUCCEEDED.name());
            query.setMaxRows(1);
            try (ResultSet rows = query.executeQuery()) {
              if (rows.next()) {
                attempt = rows.getInt(1);
              }
            }
          }
          if (attempt == null) {
            return null;
          }
          StepKey from = new StepKey(fromRunId, stepName, fanOutIndex, attempt);
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_step (run_id, step_name, fan_out_index, "
                      + STEP_COLUMNS
                      + ") SELECT ?, step_name, fan_out_index, "
                      + STEP_COLUMNS
                      + " FROM caravan_step WHERE "
                      + STEP_KEY)) {
            insert.setString(1, toRunId);
            from.bind(insert, 2);
            if (!Jdbc.insertIfAbsent(connection, insert)) {
              return null;
            }
          }
          ChangeLog.stepChanged(connection, toRunId, stepName, fanOutIndex, attempt);
          try (PreparedStatement chunks =
              connection.prepareStatement(
                  "INSERT INTO caravan_step_log (run_id, step_name, fan_out_index, attempt, seq,"
                      + " content) SELECT ?, step_name, fan_out_index, attempt, seq, content FROM"
                      + " caravan_step_log WHERE "
                      + STEP_KEY)) {
            chunks.setString(1, toRunId);
            from.bind(chunks, 2);
            chunks.executeUpdate();
          }
          return null;
        });
  }

  /**
   * {@inheritDoc}
   *
   * <p>A step that runs again as the same attempt (resumed after a crash) starts its log afresh.
   */
  @Override
  public void started(StepRequest request, String executor, String namespace) {
    StepKey key = StepKey.of(request);
    LogProgress log = progressOf(key);
    synchronized (log) {
      if (!started(request, executor, namespace, key)) {
        // not a step of a recorded run: nothing to keep track of
        retire(key, log);
        return;
      }
      log.loaded = true;
      log.nextSeq = 0;
      log.chars = 0;
    }
  }

  /** Whether the step is recorded (the step of a recorded run). */
  private boolean started(StepRequest request, String executor, String namespace, StepKey key) {
    return jdbc.write(
        connection -> {
          // only steps of recorded runs: the SELECT yields no row for an unknown run
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_step (run_id, step_name, fan_out_index, attempt, executor,"
                      + " job_name, namespace, status, started_at) SELECT id, ?, ?, ?, ?, ?,"
                      + " ?, ?, ? FROM caravan_run WHERE id = ?")) {
            insert.setString(1, request.stepName());
            insert.setString(2, request.fanOutIndex());
            insert.setInt(3, request.attempt());
            insert.setString(4, executor);
            insert.setString(5, request.jobName());
            insert.setString(6, namespace);
            insert.setString(7, "RUNNING");
            insert.setObject(8, utc(Instant.now()));
            insert.setString(9, request.runId());
            int inserted = Jdbc.insertedRows(connection, insert);
            if (inserted == 0) {
              return false;
            }
            if (inserted == Jdbc.DUPLICATE) {
              // started again (resumed after a crash): its log starts afresh
              try (PreparedStatement delete =
                  connection.prepareStatement("DELETE FROM caravan_step_log WHERE " + STEP_KEY)) {
                key.bind(delete, 1);
                delete.executeUpdate();
              }
            }
            changed(connection, key);
            return true;
          }
        });
  }

  /** Appends the new output of a running step as chunks (nothing once the step has ended). */
  @Override
  public void output(StepRequest request, String newOutput) {
    if (newOutput.isEmpty()) {
      return;
    }
    StepKey key = StepKey.of(request);
    LogProgress log = progressOf(key);
    synchronized (log) {
      if (log.retired) {
        return;
      }
      boolean appended =
          jdbc.write(
              connection -> {
                load(connection, key, log);
                return append(connection, key, log.nextSeq, newOutput, true) > 0;
              });
      if (appended) {
        log.nextSeq += chunks(newOutput).size();
        log.chars += newOutput.length();
      } else {
        // not a running step (any more): nothing to follow
        retire(key, log);
      }
    }
  }

  /**
   * Records the end of the step and appends the rest of its output: what {@link #output} calls did
   * not append (all of it for a step that had none).
   */
  @Override
  public void ended(StepRequest request, StepResult result) {
    StepKey key = StepKey.of(request);
    LogProgress log = progressOf(key);
    synchronized (log) {
      try {
        jdbc.write(
            connection -> {
              try (PreparedStatement update =
                  connection.prepareStatement(
                      "UPDATE caravan_step SET status = ?, exit_code = ?, job_name = ?,"
                          + " started_at = ?, ended_at = ? WHERE "
                          + STEP_KEY)) {
                update.setString(1, result.status().name());
                update.setObject(2, result.exitCode());
                update.setString(3, result.jobName());
                update.setObject(4, utc(result.started()));
                update.setObject(5, utc(result.ended()));
                key.bind(update, 6);
                if (update.executeUpdate() == 0) {
                  return null;
                }
              }
              changed(connection, key);
              load(connection, key, log);
              String output = result.output();
              String rest = log.chars < output.length() ? output.substring((int) log.chars) : "";
              append(connection, key, log.nextSeq, rest, false);
              return null;
            });
      } finally {
        retire(key, log);
      }
    }
  }

  /** The stored log of one attempt of a step ("" when it has none). */
  public String log(String runId, String stepName, String fanOutIndex, int attempt) {
    return jdbc.inTransaction(
        connection -> log(connection, new StepKey(runId, stepName, fanOutIndex, attempt)));
  }

  /**
   * At most {@code limit} chunks of a step's log after chunk {@code afterSeq} (-1: from the start).
   */
  public List<LogChunk> logChunks(
      String runId, String stepName, String fanOutIndex, int attempt, int afterSeq, int limit) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT seq, content FROM caravan_step_log WHERE "
                      + STEP_KEY
                      + " AND seq > ? ORDER BY seq LIMIT ?")) {
            int next = new StepKey(runId, stepName, fanOutIndex, attempt).bind(query, 1);
            query.setInt(next, afterSeq);
            query.setInt(next + 1, limit);
            List<LogChunk> found = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                found.add(new LogChunk(rows.getInt(1), rows.getString(2)));
              }
            }
            return found;
          }
        });
  }

  /** Whether the attempt of the step has ended ({@code null}: no such step). */
  public Boolean hasEnded(String runId, String stepName, String fanOutIndex, int attempt) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement("SELECT status FROM caravan_step WHERE " + STEP_KEY)) {
            new StepKey(runId, stepName, fanOutIndex, attempt).bind(query, 1);
            try (ResultSet rows = query.executeQuery()) {
              return rows.next() ? !"RUNNING".equals(rows.getString(1)) : null;
            }
          }
        });
  }

  private static void changed(Connection connection, StepKey key) throws SQLException {
    ChangeLog.stepChanged(
        connection, key.runId(), key.stepName(), key.fanOutIndex(), key.attempt());
  }

  /** One attempt of one step of a run, log left out, if there is such a step. */
  public Optional<StepView> step(String runId, String stepName, String fanOutIndex, int attempt) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT " + STEP_COLUMNS + " FROM caravan_step WHERE " + STEP_KEY)) {
            new StepKey(runId, stepName, fanOutIndex, attempt).bind(query, 1);
            try (ResultSet rows = query.executeQuery()) {
              return rows.next()
                  ? Optional.of(new StepView(stepName, fanOutIndex, record(rows)))
                  : Optional.empty();
            }
          }
        });
  }

  private LogProgress progressOf(StepKey key) {
    return progress.computeIfAbsent(key, k -> new LogProgress());
  }

  private void retire(StepKey key, LogProgress log) {
    log.retired = true;
    progress.remove(key, log);
  }

  /** Reads how far the log got, for a step this store did not see start. */
  private static void load(Connection connection, StepKey key, LogProgress log)
      throws SQLException {
    if (log.loaded) {
      return;
    }
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT seq, content FROM caravan_step_log WHERE " + STEP_KEY + " ORDER BY seq")) {
      key.bind(query, 1);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          log.nextSeq = rows.getInt(1) + 1;
          log.chars += rows.getString(2).length();
        }
      }
    }
    log.loaded = true;
  }

  /**
   * Inserts the text as chunks numbered from {@code firstSeq}, for a step row that exists (and is
   * still running, if {@code onlyWhileRunning}).
   *
   * @return the number of chunks inserted
   */
  private static int append(
      Connection connection, StepKey key, int firstSeq, String text, boolean onlyWhileRunning)
      throws SQLException {
    List<String> pieces = chunks(text);
    if (pieces.isEmpty()) {
      return 0;
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO caravan_step_log (run_id, step_name, fan_out_index, attempt, seq,"
                + " content) SELECT run_id, step_name, fan_out_index, attempt, ?, ? FROM"
                + " caravan_step WHERE "
                + STEP_KEY
                + (onlyWhileRunning ? " AND status = 'RUNNING'" : ""))) {
      int inserted = 0;
      for (int i = 0; i < pieces.size(); i++) {
        insert.setInt(1, firstSeq + i);
        insert.setString(2, pieces.get(i));
        key.bind(insert, 3);
        inserted += insert.executeUpdate();
        if (inserted == 0) {
          return 0;
        }
      }
      return inserted;
    }
  }

  /** The text cut into chunks of at most {@link #CHUNK_CHARS}, never inside a surrogate pair. */
  static List<String> chunks(String text) {
    List<String> pieces = new ArrayList<>();
    int from = 0;
    while (from < text.length()) {
      int to = Math.min(text.length(), from + CHUNK_CHARS);
      if (to < text.length() && Character.isHighSurrogate(text.charAt(to - 1))) {
        to--;
      }
      pieces.add(text.substring(from, to));
      from = to;
    }
    return pieces;
  }

  private static String log(Connection connection, StepKey key) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT content FROM caravan_step_log WHERE " + STEP_KEY + " ORDER BY seq")) {
      key.bind(query, 1);
      StringBuilder log = new StringBuilder();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          log.append(rows.getString(1));
        }
      }
      return log.toString();
    }
  }

  private static StepRecord withOutput(StepRecord record, String output) {
    return new StepRecord(
        record.attempt(),
        record.executor(),
        record.jobName(),
        record.namespace(),
        record.status(),
        record.exitCode(),
        record.started(),
        record.ended(),
        output);
  }

  /** The steps of a run in the order they started, logs left out. */
  public List<StepView> steps(String runId) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT step_name, fan_out_index, "
                      + STEP_COLUMNS
                      + " FROM caravan_step WHERE run_id = ? ORDER BY started_at, step_name,"
                      + " fan_out_index, attempt")) {
            query.setString(1, runId);
            List<StepView> found = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                found.add(new StepView(rows.getString(1), rows.getString(2), record(rows, 3)));
              }
            }
            return found;
          }
        });
  }

  private static StepRecord record(ResultSet rows) throws SQLException {
    return record(rows, 1);
  }

  private static StepRecord record(ResultSet rows, int first) throws SQLException {
    String status = rows.getString(first + 4);
    int exit = rows.getInt(first + 5);
    Integer exitCode = rows.wasNull() ? null : exit;
    return new StepRecord(
        rows.getInt(first),
        rows.getString(first + 1),
        rows.getString(first + 2),
        rows.getString(first + 3),
        "RUNNING".equals(status) ? null : StepStatus.valueOf(status),
        exitCode,
        Jdbc.instant(rows.getObject(first + 6, OffsetDateTime.class)),
        Jdbc.instant(rows.getObject(first + 7, OffsetDateTime.class)),
        null);
  }
}
