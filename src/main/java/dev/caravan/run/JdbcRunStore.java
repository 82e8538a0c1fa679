package dev.caravan.run;

import static dev.caravan.event.Jdbc.utc;

import dev.caravan.event.Jdbc;
import dev.caravan.event.RunStatus;
import dev.caravan.kjob.StepJournal;
import dev.caravan.kjob.StepRecord;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Runs and their steps on JDBC (the same database as events): the kjob journal, and the queries
 * behind the runs API.
 */
public class JdbcRunStore implements StepJournal {

  private static final String STEP_COLUMNS =
      "attempt, executor, job_name, namespace, pid, status, exit_code, started_at, ended_at, log";
  private static final String RUN_COLUMNS =
      "id, event_id, pipeline, status, created_at, started_at, ended_at, reuse_from, summary";

  private final Jdbc jdbc;

  public JdbcRunStore(DataSource dataSource) {
    this.jdbc = new Jdbc(dataSource);
  }

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
            try (ResultSet rows = query.executeQuery()) {
              return rows.next() ? Optional.of(record(rows)) : Optional.empty();
            }
          }
        });
  }

  @Override
  public void copy(String fromRunId, String toRunId, String stepName, String fanOutIndex) {
    jdbc.inTransaction(
        connection -> {
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_step (run_id, step_name, fan_out_index, "
                      + STEP_COLUMNS
                      + ") SELECT ?, step_name, fan_out_index, "
                      + STEP_COLUMNS
                      + " FROM caravan_step WHERE run_id = ? AND step_name = ? AND fan_out_index"
                      + " = ? AND status = ? ORDER BY attempt DESC")) {
            insert.setString(1, toRunId);
            insert.setString(2, fromRunId);
            insert.setString(3, stepName);
            insert.setString(4, fanOutIndex);
            insert.setString(5, StepStatus.SUCCEEDED.name());
            insert.setMaxRows(1);
            insert.executeUpdate();
          } catch (SQLException e) {
            if (!Jdbc.UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw e;
            }
            connection.rollback();
          }
          return null;
        });
  }

  @Override
  public void started(StepRequest request, String executor, String namespace, Long pid) {
    jdbc.inTransaction(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_step SET pid = COALESCE(?, pid) WHERE run_id = ? AND"
                      + " step_name = ? AND fan_out_index = ? AND attempt = ?")) {
            update.setObject(1, pid);
            bindKey(update, 2, request);
            if (update.executeUpdate() == 1) {
              return null;
            }
          }
          // only steps of recorded runs: the SELECT yields no row for an unknown run
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_step (run_id, step_name, fan_out_index, attempt, executor,"
                      + " job_name, namespace, pid, status, started_at) SELECT id, ?, ?, ?, ?, ?,"
                      + " ?, ?, ?, ? FROM caravan_run WHERE id = ?")) {
            insert.setString(1, request.stepName());
            insert.setString(2, request.fanOutIndex());
            insert.setInt(3, request.attempt());
            insert.setString(4, executor);
            insert.setString(5, request.jobName());
            insert.setString(6, namespace);
            insert.setObject(7, pid);
            insert.setString(8, "RUNNING");
            insert.setObject(9, utc(Instant.now()));
            insert.setString(10, request.runId());
            insert.executeUpdate();
          } catch (SQLException e) {
            if (!Jdbc.UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw e;
            }
            connection.rollback();
          }
          return null;
        });
  }

  @Override
  public void output(StepRequest request, String outputSoFar) {
    jdbc.inTransaction(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_step SET log = ? WHERE run_id = ? AND step_name = ? AND"
                      + " fan_out_index = ? AND attempt = ? AND status = 'RUNNING'")) {
            update.setString(1, outputSoFar);
            bindKey(update, 2, request);
            update.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void ended(StepRequest request, StepResult result) {
    jdbc.inTransaction(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_step SET status = ?, exit_code = ?, job_name = ?, started_at ="
                      + " ?, ended_at = ?, log = ?, pid = NULL WHERE run_id = ? AND step_name = ?"
                      + " AND fan_out_index = ? AND attempt = ?")) {
            update.setString(1, result.status().name());
            update.setObject(2, result.exitCode());
            update.setString(3, result.jobName());
            update.setObject(4, utc(result.started()));
            update.setObject(5, utc(result.ended()));
            update.setString(6, result.output());
            bindKey(update, 7, request);
            update.executeUpdate();
          }
          return null;
        });
  }

  // Queries and commands of the runs API

  public Optional<RunView> run(String runId) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT " + RUN_COLUMNS + " FROM caravan_run WHERE id = ?")) {
            query.setString(1, runId);
            try (ResultSet rows = query.executeQuery()) {
              return rows.next() ? Optional.of(run(rows)) : Optional.empty();
            }
          }
        });
  }

  /** Runs, newest first, filtered by whatever is not {@code null}. */
  public List<RunView> runs(
      String pipeline, RunStatus status, String eventId, int limit, int offset) {
    return jdbc.inTransaction(
        connection -> {
          StringBuilder sql = new StringBuilder("SELECT " + RUN_COLUMNS + " FROM caravan_run");
          List<Object> values = new ArrayList<>();
          String glue = " WHERE ";
          if (pipeline != null) {
            sql.append(glue).append("pipeline = ?");
            values.add(pipeline);
            glue = " AND ";
          }
          if (status != null) {
            sql.append(glue).append("status = ?");
            values.add(status.name());
            glue = " AND ";
          }
          if (eventId != null) {
            sql.append(glue).append("event_id = ?");
            values.add(eventId);
          }
          sql.append(" ORDER BY seq DESC LIMIT ? OFFSET ?");
          values.add(limit);
          values.add(offset);
          try (PreparedStatement query = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) {
              query.setObject(i + 1, values.get(i));
            }
            List<RunView> found = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                found.add(run(rows));
              }
            }
            return found;
          }
        });
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

  /**
   * Marks a PENDING or RUNNING run CANCELED.
   *
   * @return the steps still running (to stop), or empty when the run had already ended
   */
  public Optional<List<StepView>> cancel(String runId) {
    return jdbc.inTransaction(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_run SET status = ?, ended_at = ? WHERE id = ? AND status IN"
                      + " (?, ?)")) {
            update.setString(1, RunStatus.CANCELED.name());
            update.setObject(2, utc(Instant.now()));
            update.setString(3, runId);
            update.setString(4, RunStatus.PENDING.name());
            update.setString(5, RunStatus.RUNNING.name());
            if (update.executeUpdate() == 0) {
              return Optional.empty();
            }
          }
          return Optional.of(
              steps(runId).stream().filter(step -> !step.record().hasEnded()).toList());
        });
  }

  private static void bindKey(PreparedStatement statement, int first, StepRequest request)
      throws SQLException {
    statement.setString(first, request.runId());
    statement.setString(first + 1, request.stepName());
    statement.setString(first + 2, request.fanOutIndex());
    statement.setInt(first + 3, request.attempt());
  }

  private static StepRecord record(ResultSet rows) throws SQLException {
    return record(rows, 1);
  }

  private static StepRecord record(ResultSet rows, int first) throws SQLException {
    String status = rows.getString(first + 5);
    long pid = rows.getLong(first + 4);
    Long pidOrNull = rows.wasNull() ? null : pid;
    int exit = rows.getInt(first + 6);
    Integer exitCode = rows.wasNull() ? null : exit;
    return new StepRecord(
        rows.getInt(first),
        rows.getString(first + 1),
        rows.getString(first + 2),
        rows.getString(first + 3),
        pidOrNull,
        "RUNNING".equals(status) ? null : StepStatus.valueOf(status),
        exitCode,
        Jdbc.instant(rows.getObject(first + 7, OffsetDateTime.class)),
        Jdbc.instant(rows.getObject(first + 8, OffsetDateTime.class)),
        rows.getString(first + 9));
  }

  private static RunView run(ResultSet rows) throws SQLException {
    return new RunView(
        rows.getString(1),
        rows.getString(2),
        rows.getString(3),
        RunStatus.valueOf(rows.getString(4)),
        Jdbc.instant(rows.getObject(5, OffsetDateTime.class)),
        Jdbc.instant(rows.getObject(6, OffsetDateTime.class)),
        Jdbc.instant(rows.getObject(7, OffsetDateTime.class)),
        rows.getString(8),
        rows.getString(9));
  }
}
