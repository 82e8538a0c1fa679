package dev.caravan.run;

import static dev.caravan.store.Jdbc.utc;

import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.JdbcEventStore;
import dev.caravan.event.Subscription;
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
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The records of runs (table caravan_run) and the instances that own running ones (table
 * caravan_instance): a run is created PENDING with its delivery, becomes RUNNING when the delivery
 * is taken, is leased to the Caravan that runs it through that instance's heartbeats, taken over
 * when the lease expires, and ends SUCCEEDED, FAILED, TIMED_OUT or CANCELED.
 */
public class JdbcRunStore {

  /** A run's columns and its event's source, type and subject (what triggered it). */
  private static final String RUN_COLUMNS =
      "r.id, r.event_id, r.pipeline, r.status, r.created_at, r.started_at, r.ended_at,"
          + " r.reuse_from, r.summary, r.retry_of, r.error, e.source, e.type, e.subject,"
          + " r.concurrency_group";

  private static final String RUNS_WITH_TRIGGER =
      " FROM caravan_run r LEFT JOIN caravan_event e ON e.id = r.event_id";

  private final Jdbc jdbc;

  public JdbcRunStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  /** A store with a health of its own (tests). */
  public JdbcRunStore(DataSource dataSource) {
    this(new Jdbc(dataSource, new StoreHealth()));
  }

  /** A run claimed to run here: its delivery, and the run whose succeeded steps it reuses. */
  public record Claimed(Delivery delivery, String reuseFrom) {}

  /**
   * What a take-over found.
   *
   * @param resumed the runs to resume, now owned by the caller
   * @param givenUp ids of the runs that became FAILED instead
   */
  public record TakenOver(List<Claimed> resumed, List<String> givenUp) {}

  // the lifecycle

  /** Records the PENDING runs of new deliveries, in the event bus's transaction. */
  static void insertPending(Connection connection, List<Delivery> deliveries, String reuseFrom)
      throws SQLException {
    insertPending(connection, deliveries, reuseFrom, null);
  }

  /**
   * Records the PENDING runs of new deliveries, in the event bus's transaction.
   *
   * @param retryOf the run these retry or run again, or {@code null}
   */
  static void insertPending(
      Connection connection, List<Delivery> deliveries, String reuseFrom, String retryOf)
      throws SQLException {
    if (deliveries.isEmpty()) {
      // an event no pipeline subscribes to: nothing to prepare
      return;
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO caravan_run (id, event_id, pipeline, status, reuse_from, created_at,"
                + " retry_of) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      for (Delivery delivery : deliveries) {
        insert.setString(1, delivery.id());
        insert.setString(2, delivery.event().id());
        insert.setString(3, delivery.subscriber());
        insert.setString(4, RunStatus.PENDING.name());
        insert.setString(5, reuseFrom);
        insert.setObject(6, utc(Instant.now()));
        insert.setString(7, retryOf);
        insert.addBatch();
      }
      insert.executeBatch();
    }
    ChangeLog.runsChanged(connection, deliveries.stream().map(Delivery::id).toList());
  }

  /** The runs of an event, oldest first, as deliveries of it, read in the caller's transaction. */
  static List<Delivery> runsOf(Connection connection, Event event) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT id, pipeline FROM caravan_run WHERE event_id = ? ORDER BY seq")) {
      query.setString(1, event.id());
      List<Delivery> runs = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          runs.add(new Delivery(rows.getString(1), event, rows.getString(2)));
        }
      }
      return runs;
    }
  }

  /**
   * Claims the PENDING runs of deliveries just taken, in the event bus's transaction: they become
   * RUNNING here (their first attempt). A run canceled while it waited stays as it is.
   */
  static List<Claimed> claim(Connection connection, List<Delivery> deliveries, String owner)
      throws SQLException {
    List<Claimed> claimed = new ArrayList<>();
    try (PreparedStatement update =
            connection.prepareStatement(
                "UPDATE caravan_run SET status = ?, owner = ?, started_at = ?, attempts ="
                    + " attempts + 1 WHERE id = ? AND status = ?");
        PreparedStatement reuse =
            connection.prepareStatement("SELECT reuse_from FROM caravan_run WHERE id = ?")) {
      for (Delivery delivery : deliveries) {
        update.setString(1, RunStatus.RUNNING.name());
        update.setString(2, owner);
        update.setObject(3, utc(Instant.now()));
        update.setString(4, delivery.id());
        update.setString(5, RunStatus.PENDING.name());
        if (update.executeUpdate() == 1) {
          ChangeLog.runChanged(connection, delivery.id());
          reuse.setString(1, delivery.id());
          try (ResultSet rows = reuse.executeQuery()) {
            claimed.add(new Claimed(delivery, rows.next() ? rows.getString(1) : null));
          }
        }
      }
    }
    return claimed;
  }

  /**
   * Records how a run ended; a run canceled meanwhile stays CANCELED.
   *
   * @param summary what the pipeline reported (header CaravanRunSummary), or {@code null}
   */
  public void finish(String runId, RunStatus status, String summary) {
    finish(runId, status, summary, null);
  }

  /**
   * Records how a run ended; a run canceled meanwhile stays CANCELED, with the summary it was
   * canceled with, if any. A run in a concurrency group hands its place on.
   *
   * @param summary what the pipeline reported (header CaravanRunSummary), or {@code null} to keep
   *     the run's
   * @param error the message of the exception that ended the run outside its steps, or {@code null}
   */
  public void finish(String runId, RunStatus status, String summary, String error) {
    jdbc.write(
        connection -> {
          JdbcConcurrencyGroups.Member member = lockGroupOf(connection, runId);
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_run SET status = CASE WHEN status = ? THEN status ELSE ? END,"
                      + " ended_at = COALESCE(ended_at, ?), summary = CASE WHEN status = ? AND"
                      + " summary IS NOT NULL THEN summary ELSE COALESCE(?, summary) END,"
                      + " error = ? WHERE id = ? AND status IN (?, ?)")) {
            update.setString(1, RunStatus.CANCELED.name());
            update.setString(2, status.name());
            update.setObject(3, utc(Instant.now()));
            // a canceled run keeps the reason it was canceled for (superseded by run ...)
            update.setString(4, RunStatus.CANCELED.name());
            update.setString(5, summary);
            update.setString(6, error);
            update.setString(7, runId);
            update.setString(8, RunStatus.RUNNING.name());
            update.setString(9, RunStatus.CANCELED.name());
            if (update.executeUpdate() == 1) {
              ChangeLog.runChanged(connection, runId);
            }
          }
          if (member != null) {
            JdbcConcurrencyGroups.release(connection, member);
          }
          return null;
        });
  }

  /**
   * The concurrency group of a run, with its pipeline's lock taken (before the run's row is
   * changed, as every change of groups does), or {@code null} when the run has none.
   */
  private static JdbcConcurrencyGroups.Member lockGroupOf(Connection connection, String runId)
      throws SQLException {
    JdbcConcurrencyGroups.Member member = JdbcConcurrencyGroups.member(connection, runId);
    if (member != null) {
      JdbcEventStore.lockSubscription(connection, member.pipeline());
    }
    return member;
  }

  /**
   * Takes over the RUNNING runs of the pipeline whose owner is gone (no heartbeat since {@code
   * staleBefore}: a Caravan that crashed or stopped), so that they are resumed once; a run that was
   * started or taken over {@code maxAttempts} times already becomes FAILED instead, with a summary
   * saying why (a run that keeps crashing Caravan is not resumed for ever).
   */
  public TakenOver takeOver(String pipeline, String owner, Instant staleBefore, int maxAttempts) {
    return jdbc.write(
        connection -> {
          List<Claimed> orphans = new ArrayList<>();
          List<String> previousOwners = new ArrayList<>();
          List<Integer> attempts = new ArrayList<>();
          try (PreparedStatement query =
              connection.prepareStatement(
                  "SELECT r.id, r.pipeline, r.reuse_from, r.owner, r.attempts, "
                      + JdbcEventStore.EVENT_COLUMNS
                      + " FROM caravan_run r JOIN caravan_event e ON e.id = r.event_id"
                      + " LEFT JOIN caravan_instance i ON i.id = r.owner"
                      + " WHERE r.pipeline = ? AND r.status = ? AND (r.owner IS NULL OR r.owner"
                      + " <> ?) AND (i.id IS NULL OR i.heartbeat < ?) ORDER BY r.seq")) {
            query.setString(1, pipeline);
            query.setString(2, RunStatus.RUNNING.name());
            query.setString(3, owner);
            query.setObject(4, utc(staleBefore));
            try (ResultSet rows = query.executeQuery()) {
              while (rows.next()) {
                Event event = JdbcEventStore.event(rows, 6);
                orphans.add(
                    new Claimed(
                        new Delivery(rows.getString(1), event, rows.getString(2)),
                        rows.getString(3)));
                previousOwners.add(rows.getString(4));
                attempts.add(rows.getInt(5));
              }
            }
          }
          List<Claimed> taken = new ArrayList<>();
          List<String> givenUp = new ArrayList<>();
          try (PreparedStatement claim =
                  connection.prepareStatement(
                      "UPDATE caravan_run SET owner = ?, attempts = attempts + 1 WHERE id = ? AND"
                          + " status = ? AND (owner = ? OR (owner IS NULL AND ? IS NULL))");
              PreparedStatement fail =
                  connection.prepareStatement(
                      "UPDATE caravan_run SET status = ?, owner = ?, ended_at = ?, summary = ?"
                          + " WHERE id = ? AND status = ? AND (owner = ? OR (owner IS NULL AND ?"
                          + " IS NULL))")) {
            for (int i = 0; i < orphans.size(); i++) {
              String runId = orphans.get(i).delivery().id();
              String previous = previousOwners.get(i);
              if (attempts.get(i) >= maxAttempts) {
                fail.setString(1, RunStatus.FAILED.name());
                fail.setString(2, owner);
                fail.setObject(3, utc(Instant.now()));
                fail.setString(4, givenUpSummary(attempts.get(i)));
                fail.setString(5, runId);
                fail.setString(6, RunStatus.RUNNING.name());
                fail.setString(7, previous);
                fail.setString(8, previous);
                if (fail.executeUpdate() == 1) {
                  ChangeLog.runChanged(connection, runId);
                  givenUp.add(runId);
                }
                continue;
              }
              claim.setString(1, owner);
              claim.setString(2, runId);
              claim.setString(3, RunStatus.RUNNING.name());
              claim.setString(4, previous);
              claim.setString(5, previous);
              if (claim.executeUpdate() == 1) {
                ChangeLog.runChanged(connection, runId);
                taken.add(orphans.get(i));
              }
            }
          }
          return new TakenOver(taken, givenUp);
        });
  }

  /** The summary of a run that is not resumed again. */
  static String givenUpSummary(int attempts) {
    return "Given up after "
        + attempts
        + " attempts: each time, the Caravan running this run stopped before it ended (a crash,"
        + " an out-of-memory kill or a restart), and caravan.runs.max-attempts allows no more. Its steps'"
        + " logs show how far it got; replay the event to run it again.";
  }

  /** Says this Caravan instance is alive (its runs are not taken over). */
  public void heartbeat(String owner) {
    jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_instance SET heartbeat = ? WHERE id = ?")) {
            update.setObject(1, utc(Instant.now()));
            update.setString(2, owner);
            if (update.executeUpdate() == 1) {
              return null;
            }
          }
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO caravan_instance (id, heartbeat) VALUES (?, ?)")) {
            insert.setString(1, owner);
            insert.setObject(2, utc(Instant.now()));
            insert.executeUpdate();
          }
          return null;
        });
  }

  /**
   * Says this Caravan instance has stopped: the runs it leaves RUNNING (interrupted by the stop)
   * are taken over at once by the next instance that looks, not after the lease timeout.
   */
  public void retire(String owner) {
    jdbc.write(
        connection -> {
          try (PreparedStatement delete =
              connection.prepareStatement("DELETE FROM caravan_instance WHERE id = ?")) {
            delete.setString(1, owner);
            delete.executeUpdate();
          }
          return null;
        });
  }

  /**
   * Gives up this instance's lease on a RUNNING run that it stopped (its route stopped, not
   * Caravan), so that it is taken over at once when the route starts again, here or elsewhere.
   *
   * @param started whether the run's exchange had started; one that had not gets its attempt back
   */
  public void release(String runId, String owner, boolean started) {
    jdbc.write(
        connection -> {
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_run SET owner = NULL, attempts = attempts - ? WHERE id = ? AND"
                      + " status = ? AND owner = ?")) {
            update.setInt(1, started ? 0 : 1);
            update.setString(2, runId);
            update.setString(3, RunStatus.RUNNING.name());
            update.setString(4, owner);
            update.executeUpdate();
          }
          return null;
        });
  }

  /**
   * Hands back the runs that wait in the pipeline's concurrency groups, as many as each group has
   * room for under {@code limit} (the limit was raised, or a run ended without handing its place
   * on: a crash, a take-over that gave it up).
   *
   * @return how many runs were handed back
   */
  public int handBack(String pipeline, int limit) {
    List<String> groups =
        jdbc.inTransaction(connection -> JdbcConcurrencyGroups.waitingGroups(connection, pipeline));
    if (groups.isEmpty()) {
      return 0;
    }
    return jdbc.write(
        connection -> {
          JdbcEventStore.lockSubscription(connection, pipeline);
          int handedBack = 0;
          for (String group : groups) {
            handedBack += JdbcConcurrencyGroups.handBack(connection, pipeline, group, limit);
          }
          return handedBack;
        });
  }

  /**
   * Queues the event again for each pipeline subscribed to it now: a new PENDING run each.
   *
   * @param events the event bus, whose queue the new deliveries go to (in this transaction)
   * @param keepSucceeded whether each new run reuses the steps that succeeded in the latest run of
   *     the same event and pipeline
   * @return the new runs, or empty when there is no such event
   */
  public Optional<List<Claimed>> replay(
      JdbcEventStore events, String eventId, boolean keepSucceeded) {
    return jdbc.write(
        connection -> {
          Optional<Event> event = JdbcEventStore.find(connection, eventId);
          if (event.isEmpty()) {
            return Optional.empty();
          }
          List<Claimed> runs = new ArrayList<>();
          for (Subscription subscription : JdbcEventStore.subscriptions(connection)) {
            if (subscription.active() && subscription.matches(event.get())) {
              String reuseFrom =
                  keepSucceeded ? latestRun(connection, eventId, subscription.subscriber()) : null;
              Delivery delivery =
                  events.enqueue(connection, event.get(), subscription.subscriber());
              insertPending(connection, List.of(delivery), reuseFrom);
              runs.add(new Claimed(delivery, reuseFrom));
            }
          }
          return Optional.of(runs);
        });
  }

  private static String latestRun(Connection connection, String eventId, String pipeline)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT id FROM caravan_run WHERE event_id = ? AND pipeline = ? AND status <> ?"
                + " ORDER BY seq DESC")) {
      query.setString(1, eventId);
      query.setString(2, pipeline);
      query.setString(3, RunStatus.PENDING.name());
      query.setMaxRows(1);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? rows.getString(1) : null;
      }
    }
  }

  /**
   * Marks a PENDING, QUEUED or RUNNING run CANCELED; a waiting one's delivery leaves the queue, and
   * one that had not started leaves its concurrency group (a running one leaves it as it ends).
   *
   * @return {@code false} when the run had already ended (or there is none)
   */
  public boolean cancel(JdbcEventStore events, String runId) {
    return jdbc.write(
        connection -> {
          JdbcConcurrencyGroups.Member member = lockGroupOf(connection, runId);
          RunStatus before = status(connection, runId);
          try (PreparedStatement update =
              connection.prepareStatement(
                  "UPDATE caravan_run SET status = ?, ended_at = ? WHERE id = ? AND status IN"
                      + " (?, ?, ?)")) {
            update.setString(1, RunStatus.CANCELED.name());
            update.setObject(2, utc(Instant.now()));
            update.setString(3, runId);
            update.setString(4, RunStatus.PENDING.name());
            update.setString(5, RunStatus.QUEUED.name());
            update.setString(6, RunStatus.RUNNING.name());
            if (update.executeUpdate() == 0) {
              return false;
            }
          }
          ChangeLog.runChanged(connection, runId);
          events.discard(connection, runId);
          if (member != null && before != RunStatus.RUNNING) {
            JdbcConcurrencyGroups.release(connection, member);
          }
          return true;
        });
  }

  private static RunStatus status(Connection connection, String runId) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement("SELECT status FROM caravan_run WHERE id = ?")) {
      query.setString(1, runId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? RunStatus.valueOf(rows.getString(1)) : null;
      }
    }
  }

  // the queries of the runs API

  public Optional<RunView> run(String runId) {
    return jdbc.inTransaction(connection -> run(connection, runId));
  }

  /** The run, read in the caller's transaction. */
  static Optional<RunView> run(Connection connection, String runId) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT " + RUN_COLUMNS + RUNS_WITH_TRIGGER + " WHERE r.id = ?")) {
      query.setString(1, runId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? Optional.of(run(rows)) : Optional.empty();
      }
    }
  }

  /** Runs, newest first, filtered by whatever is not {@code null}, created at any time. */
  public List<RunView> runs(
      String pipeline, RunStatus status, String eventId, int limit, int offset) {
    return runs(new RunFilter(pipeline, status, eventId, null, null), limit, offset);
  }

  /** Runs, newest first, as the filter says. */
  public List<RunView> runs(RunFilter filter, int limit, int offset) {
    return jdbc.inTransaction(
        connection -> {
          List<Object> values = new ArrayList<>();
          StringBuilder sql =
              new StringBuilder("SELECT " + RUN_COLUMNS + RUNS_WITH_TRIGGER)
                  .append(where(filter, values))
                  .append(pageOrder(filter.pipeline() != null))
                  .append(" LIMIT ? OFFSET ?");
          values.add(limit);
          values.add(offset);
          try (PreparedStatement query = connection.prepareStatement(sql.toString())) {
            bind(query, values);
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

  /**
   * Newest first. One pipeline's page names the columns of its index (pipeline, seq), so that H2
   * walks caravan_run_pipeline_seq backwards instead of sorting all of the pipeline's runs.
   */
  static String pageOrder(boolean onePipeline) {
    return onePipeline ? " ORDER BY r.pipeline DESC, r.seq DESC" : " ORDER BY r.seq DESC";
  }

  /** How many runs {@link #runs} pages through with the same filters. */
  public long countRuns(RunFilter filter) {
    return jdbc.inTransaction(
        connection -> {
          List<Object> values = new ArrayList<>();
          String sql = "SELECT COUNT(*) FROM caravan_run r" + where(filter, values);
          try (PreparedStatement query = connection.prepareStatement(sql)) {
            bind(query, values);
            try (ResultSet rows = query.executeQuery()) {
              rows.next();
              return rows.getLong(1);
            }
          }
        });
  }

  /** The WHERE clause of the filters that are not {@code null}, their values added to values. */
  private static String where(RunFilter filter, List<Object> values) {
    List<String> conditions = new ArrayList<>();
    if (filter.pipeline() != null) {
      conditions.add("r.pipeline = ?");
      values.add(filter.pipeline());
    }
    if (filter.status() != null) {
      conditions.add("r.status = ?");
      values.add(filter.status().name());
    }
    if (filter.eventId() != null) {
      conditions.add("r.event_id = ?");
      values.add(filter.eventId());
    }
    if (filter.since() != null) {
      conditions.add("r.created_at >= ?");
      values.add(utc(filter.since()));
    }
    if (filter.until() != null) {
      conditions.add("r.created_at < ?");
      values.add(utc(filter.until()));
    }
    return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
  }

  private static void bind(PreparedStatement query, List<Object> values) throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      query.setObject(i + 1, values.get(i));
    }
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
        rows.getString(9),
        rows.getString(10),
        rows.getString(11),
        rows.getString(12) == null
            ? null
            : new RunView.Trigger(rows.getString(12), rows.getString(13), rows.getString(14)),
        rows.getString(15));
  }
}
