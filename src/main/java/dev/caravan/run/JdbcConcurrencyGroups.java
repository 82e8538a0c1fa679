package dev.caravan.run;

import static dev.caravan.store.Jdbc.utc;

import dev.caravan.event.ConcurrencyGroups;
import dev.caravan.event.Delivery;
import dev.caravan.event.JdbcEventStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The concurrency groups of runs in the store (table caravan_run_group), changed only in
 * transactions that hold the lock of the pipeline's subscription ({@link
 * JdbcEventStore#lockSubscription}), taken before anything else they change: the take of
 * deliveries, the end of a run and a cancel. A run holds a place in its group while it runs, and
 * from the moment it is handed back to start; a run that finds its group full waits QUEUED, is
 * SKIPPED, or supersedes the oldest holder, as the pipeline's onConflict says.
 */
final class JdbcConcurrencyGroups {

  private static final String HOLDS = "HOLDS";
  private static final String QUEUED = "QUEUED";

  /** Statuses of the runs whose rows count: the others have ended. */
  private static final String LIVE =
      "r.status IN ('"
          + RunStatus.PENDING
          + "', '"
          + RunStatus.QUEUED
          + "', '"
          + RunStatus.RUNNING
          + "')";

  private JdbcConcurrencyGroups() {}

  /** A run's place in its group. */
  record Member(String runId, String pipeline, String group, int limit) {}

  /**
   * What admitting deliveries did.
   *
   * @param claimed the runs to start now
   * @param superseded for each new run that canceled running ones (onConflict cancelRunning), their
   *     ids: their steps are stopped once the transaction has committed
   */
  record Admission(List<JdbcRunStore.Claimed> claimed, Map<String, List<String>> superseded) {}

  /**
   * Admits deliveries just taken, in the take's transaction (the subscription is locked): each run
   * starts, waits, is skipped or supersedes, as its group has room.
   */
  static Admission admit(
      Connection connection, List<Delivery> deliveries, ConcurrencyGroups groups, String owner)
      throws SQLException {
    List<JdbcRunStore.Claimed> claimed = new ArrayList<>();
    Map<String, List<String>> superseded = new LinkedHashMap<>();
    for (Delivery delivery : deliveries) {
      if (handedBack(connection, delivery.id())) {
        claimed.addAll(JdbcRunStore.claim(connection, List.of(delivery), owner));
        continue;
      }
      String group;
      try {
        group = groups.groupOf(delivery);
      } catch (IllegalArgumentException e) {
        settle(connection, delivery.id(), null, RunStatus.FAILED, e.getMessage(), Instant.now());
        continue;
      }
      int[] counts = counts(connection, delivery.subscriber(), group);
      int holding = counts[0];
      int waiting = counts[1];
      boolean full =
          holding >= groups.limit()
              || (groups.onConflict() == ConcurrencyGroups.OnConflict.QUEUE && waiting > 0);
      if (!full) {
        hold(connection, delivery, group, groups.limit(), HOLDS);
        claimed.addAll(JdbcRunStore.claim(connection, List.of(delivery), owner));
        continue;
      }
      switch (groups.onConflict()) {
        case QUEUE -> {
          hold(connection, delivery, group, groups.limit(), QUEUED);
          settle(
              connection,
              delivery.id(),
              group,
              RunStatus.QUEUED,
              "Waiting in concurrency group "
                  + group
                  + ": "
                  + holding
                  + " of "
                  + groups.limit()
                  + " runs in flight"
                  + (waiting > 0 ? ", " + waiting + " waiting before it" : ""),
              null);
        }
        case SKIP ->
            settle(
                connection,
                delivery.id(),
                group,
                RunStatus.SKIPPED,
                "Skipped: concurrency group "
                    + group
                    + " already has "
                    + holding
                    + " of "
                    + groups.limit()
                    + " runs in flight (onConflict=skip)",
                Instant.now());
        case CANCEL_RUNNING -> {
          List<String> canceled =
              supersede(connection, delivery, group, holding - groups.limit() + 1);
          superseded.put(delivery.id(), canceled);
          hold(connection, delivery, group, groups.limit(), HOLDS);
          claimed.addAll(JdbcRunStore.claim(connection, List.of(delivery), owner));
        }
      }
    }
    return new Admission(claimed, superseded);
  }

  /** The group a run holds a place in or waits for, or {@code null}; read without a lock. */
  static Member member(Connection connection, String runId) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT pipeline, group_key, group_limit FROM caravan_run_group WHERE run_id = ?")) {
      query.setString(1, runId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next()
            ? new Member(runId, rows.getString(1), rows.getString(2), rows.getInt(3))
            : null;
      }
    }
  }

  /**
   * The run left its group (it ended, or was canceled while it waited): its place goes to the runs
   * that wait, oldest first. The caller holds the lock of the member's pipeline.
   */
  static void release(Connection connection, Member member) throws SQLException {
    try (PreparedStatement delete =
        connection.prepareStatement("DELETE FROM caravan_run_group WHERE run_id = ?")) {
      delete.setString(1, member.runId());
      delete.executeUpdate();
    }
    handBack(connection, member.pipeline(), member.group(), member.limit());
  }

  /** The groups of the pipeline in which runs wait, read without a lock. */
  static List<String> waitingGroups(Connection connection, String pipeline) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT DISTINCT g.group_key FROM caravan_run_group g JOIN caravan_run r ON r.id ="
                + " g.run_id WHERE g.pipeline = ? AND g.state = ? AND r.status = ?")) {
      query.setString(1, pipeline);
      query.setString(2, QUEUED);
      query.setString(3, RunStatus.QUEUED.name());
      List<String> groups = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          groups.add(rows.getString(1));
        }
      }
      return groups;
    }
  }

  /**
   * Hands back the oldest runs waiting in the group, as many as it has room for: each is PENDING
   * again, with its delivery back in the queue, and holds its place until it starts. The caller
   * holds the lock of the pipeline.
   *
   * @return how many were handed back
   */
  static int handBack(Connection connection, String pipeline, String group, int limit)
      throws SQLException {
    int room = limit - counts(connection, pipeline, group)[0];
    if (room <= 0) {
      return 0;
    }
    List<String[]> next = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT g.run_id, r.event_id FROM caravan_run_group g JOIN caravan_run r ON r.id ="
                + " g.run_id WHERE g.pipeline = ? AND g.group_key = ? AND g.state = ? AND"
                + " r.status = ? ORDER BY g.pipeline, g.group_key, g.state, g.seq LIMIT ?")) {
      query.setString(1, pipeline);
      query.setString(2, group);
      query.setString(3, QUEUED);
      query.setString(4, RunStatus.QUEUED.name());
      query.setInt(5, room);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          next.add(new String[] {rows.getString(1), rows.getString(2)});
        }
      }
    }
    try (PreparedStatement holds =
            connection.prepareStatement("UPDATE caravan_run_group SET state = ? WHERE run_id = ?");
        PreparedStatement pending =
            connection.prepareStatement(
                "UPDATE caravan_run SET status = ?, summary = NULL WHERE id = ? AND status = ?")) {
      for (String[] run : next) {
        holds.setString(1, HOLDS);
        holds.setString(2, run[0]);
        holds.executeUpdate();
        pending.setString(1, RunStatus.PENDING.name());
        pending.setString(2, run[0]);
        pending.setString(3, RunStatus.QUEUED.name());
        pending.executeUpdate();
        JdbcEventStore.requeue(connection, run[0], run[1], pipeline);
        ChangeLog.runChanged(connection, run[0]);
      }
    }
    return next.size();
  }

  /** Whether the run was handed back to start: it holds its place already. */
  private static boolean handedBack(Connection connection, String runId) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement("SELECT state FROM caravan_run_group WHERE run_id = ?")) {
      query.setString(1, runId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() && HOLDS.equals(rows.getString(1));
      }
    }
  }

  /** How many runs of the group hold a place, and how many wait (runs that ended not counted). */
  private static int[] counts(Connection connection, String pipeline, String group)
      throws SQLException {
    int[] counts = new int[2];
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT g.state, COUNT(*) FROM caravan_run_group g JOIN caravan_run r ON r.id ="
                + " g.run_id WHERE g.pipeline = ? AND g.group_key = ? AND "
                + LIVE
                + " GROUP BY g.state")) {
      query.setString(1, pipeline);
      query.setString(2, group);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          counts[HOLDS.equals(rows.getString(1)) ? 0 : 1] = rows.getInt(2);
        }
      }
    }
    return counts;
  }

  private static void hold(
      Connection connection, Delivery delivery, String group, int limit, String state)
      throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO caravan_run_group (run_id, pipeline, group_key, state, group_limit)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      insert.setString(1, delivery.id());
      insert.setString(2, delivery.subscriber());
      insert.setString(3, group);
      insert.setString(4, state);
      insert.setInt(5, limit);
      insert.executeUpdate();
    }
    try (PreparedStatement update =
        connection.prepareStatement("UPDATE caravan_run SET concurrency_group = ? WHERE id = ?")) {
      update.setString(1, group);
      update.setString(2, delivery.id());
      update.executeUpdate();
    }
  }

  /**
   * A PENDING run waits in its group (QUEUED, {@code endedAt} null), or ends before it started
   * (SKIPPED, or FAILED when its group has no name).
   */
  private static void settle(
      Connection connection,
      String runId,
      String group,
      RunStatus status,
      String summary,
      Instant endedAt)
      throws SQLException {
    try (PreparedStatement update =
        connection.prepareStatement(
            "UPDATE caravan_run SET status = ?, concurrency_group = ?, ended_at = ?, summary = ?"
                + " WHERE id = ? AND status = ?")) {
      update.setString(1, status.name());
      update.setString(2, group);
      update.setObject(3, endedAt == null ? null : utc(endedAt));
      update.setString(4, summary);
      update.setString(5, runId);
      update.setString(6, RunStatus.PENDING.name());
      if (update.executeUpdate() == 1) {
        ChangeLog.runChanged(connection, runId);
      }
    }
  }

  /**
   * Cancels the oldest runs that hold a place in the group, at most {@code count}: superseded by
   * the new run. Their places are free at once; their steps are stopped after the commit.
   */
  private static List<String> supersede(
      Connection connection, Delivery newRun, String group, int count) throws SQLException {
    List<String> holders = new ArrayList<>();
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT g.run_id FROM caravan_run_group g JOIN caravan_run r ON r.id = g.run_id"
                + " WHERE g.pipeline = ? AND g.group_key = ? AND g.state = ? AND "
                + LIVE
                + " ORDER BY g.pipeline, g.group_key, g.state, g.seq LIMIT ?")) {
      query.setString(1, newRun.subscriber());
      query.setString(2, group);
      query.setString(3, HOLDS);
      query.setInt(4, Math.max(count, 0));
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          holders.add(rows.getString(1));
        }
      }
    }
    List<String> canceled = new ArrayList<>();
    try (PreparedStatement cancel =
            connection.prepareStatement(
                "UPDATE caravan_run SET status = ?, ended_at = ?, summary = ? WHERE id = ? AND"
                    + " status IN (?, ?)");
        PreparedStatement delete =
            connection.prepareStatement("DELETE FROM caravan_run_group WHERE run_id = ?")) {
      for (String runId : holders) {
        cancel.setString(1, RunStatus.CANCELED.name());
        cancel.setObject(2, utc(Instant.now()));
        cancel.setString(3, "superseded by run " + newRun.id());
        cancel.setString(4, runId);
        cancel.setString(5, RunStatus.PENDING.name());
        cancel.setString(6, RunStatus.RUNNING.name());
        if (cancel.executeUpdate() == 1) {
          ChangeLog.runChanged(connection, runId);
          canceled.add(runId);
        }
        // a run handed back but not started yet leaves the queue too
        JdbcEventStore.dequeue(connection, runId);
        delete.setString(1, runId);
        delete.executeUpdate();
      }
    }
    return canceled;
  }
}
