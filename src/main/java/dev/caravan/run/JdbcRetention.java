package dev.caravan.run;

import static dev.caravan.store.Jdbc.utc;

import dev.caravan.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * The deletes of a {@link RetentionPolicy} on the event store's database (H2 or PostgreSQL), in
 * batches of {@code batchSize} rows, each batch its own short transaction. Deleting a step row
 * deletes its log (a foreign key with ON DELETE CASCADE).
 *
 * <p>Never deleted: a PENDING or RUNNING run, an event that has one, a run whose steps a waiting
 * replay ({@code keepSucceeded}) is about to reuse, and a CANCELED run for {@link #CANCELED_GRACE}
 * after it was canceled (its route may still be stopping its steps; without its row the next step
 * would run untracked).
 */
public class JdbcRetention {

  /** How long a CANCELED run is kept whatever the policy says. */
  static final Duration CANCELED_GRACE = Duration.ofHours(1);

  private static final String IN_FLIGHT =
      statuses(Arrays.stream(RunStatus.values()).filter(status -> !status.isFinal()));
  private static final String ENDED_NOT_CANCELED =
      statuses(
          Arrays.stream(RunStatus.values())
              .filter(status -> status.isFinal() && status != RunStatus.CANCELED));
  private static final String ENDED =
      statuses(Arrays.stream(RunStatus.values()).filter(RunStatus::isFinal));

  /**
   * A run (alias r) that may go; one parameter: the time before which it may have been canceled.
   */
  private static final String REMOVABLE_RUN =
      "(r.status IN "
          + ENDED_NOT_CANCELED
          + " OR (r.status = '"
          + RunStatus.CANCELED.name()
          + "' AND r.ended_at < ?)) AND NOT EXISTS (SELECT 1 FROM caravan_run p WHERE p.reuse_from"
          + " = r.id AND p.status IN "
          + IN_FLIGHT
          + ")";

  private final Jdbc jdbc;

  public JdbcRetention(DataSource dataSource) {
    this.jdbc = new Jdbc(dataSource);
  }

  /** What one pass (or one batch) deleted. */
  public record Removed(long events, long runs, long steps, long logChunks) {

    public static final Removed NONE = new Removed(0, 0, 0, 0);

    Removed plus(Removed other) {
      return new Removed(
          events + other.events,
          runs + other.runs,
          steps + other.steps,
          logChunks + other.logChunks);
    }

    public boolean isEmpty() {
      return events == 0 && runs == 0 && steps == 0 && logChunks == 0;
    }
  }

  /**
   * One pass: ended runs that ended before {@code now - maxAge}, ended runs beyond the newest
   * {@code maxRunsPerPipeline} of their pipeline, deliveries queued before {@code now - maxAge} for
   * a pipeline whose route was removed (an inactive subscription) with their pending runs, events
   * received before {@code now - maxAge} that no run refers to any more, and events beyond the
   * newest {@code maxEvents} whose runs may all go (with those runs and their steps).
   *
   * @param onBatch told what each committed batch deleted, as soon as it is committed
   * @param goOn asked before each batch; the pass stops early when it says no
   * @return what the whole pass deleted
   */
  public Removed sweep(
      RetentionPolicy policy, Instant now, Consumer<Removed> onBatch, BooleanSupplier goOn) {
    Pass pass = new Pass(policy.batchSize(), now.minus(CANCELED_GRACE), onBatch, goOn);
    if (!policy.maxAge().isZero()) {
      Instant cutoff = now.minus(policy.maxAge());
      pass.repeat(connection -> deleteRuns(connection, oldRuns(connection, cutoff, pass)));
    }
    if (policy.maxRunsPerPipeline() > 0) {
      for (String pipeline : jdbc.inTransaction(JdbcRetention::pipelines)) {
        Optional<Long> oldestKept =
            jdbc.inTransaction(
                connection -> oldestKeptRun(connection, pipeline, policy.maxRunsPerPipeline()));
        if (oldestKept.isPresent()) {
          pass.repeat(
              connection ->
                  deleteRuns(connection, runsBefore(connection, pipeline, oldestKept.get(), pass)));
        }
      }
    }
    if (!policy.maxAge().isZero()) {
      Instant cutoff = now.minus(policy.maxAge());
      pass.repeat(
          connection -> deleteAbandoned(connection, abandonedDeliveries(connection, cutoff, pass)));
      pass.repeat(
          connection -> deleteEvents(connection, oldEventsWithoutRuns(connection, cutoff, pass)));
    }
    if (policy.maxEvents() > 0) {
      Optional<OffsetDateTime> oldestKept =
          jdbc.inTransaction(connection -> oldestKeptEvent(connection, policy.maxEvents()));
      if (oldestKept.isPresent()) {
        pass.repeat(
            connection ->
                deleteEvents(connection, eventsBefore(connection, oldestKept.get(), pass), pass));
      }
    }
    return pass.total;
  }

  /** The batches of one pass, and what they deleted. */
  private final class Pass {
    final int batchSize;
    final Instant canceledBefore;
    final Consumer<Removed> onBatch;
    final BooleanSupplier goOn;
    Removed total = Removed.NONE;

    Pass(int batchSize, Instant canceledBefore, Consumer<Removed> onBatch, BooleanSupplier goOn) {
      this.batchSize = batchSize;
      this.canceledBefore = canceledBefore;
      this.onBatch = onBatch;
      this.goOn = goOn;
    }

    /** Runs batches of the rule until one finds fewer rows than a batch. */
    void repeat(Jdbc.Work<Batch> rule) {
      while (goOn.getAsBoolean()) {
        Batch batch = jdbc.inTransaction(rule);
        if (!batch.removed.isEmpty()) {
          total = total.plus(batch.removed);
          onBatch.accept(batch.removed);
        }
        if (batch.selected < batchSize) {
          return;
        }
      }
    }
  }

  /** How many rows a batch selected, and what it deleted. */
  private record Batch(int selected, Removed removed) {}

  // the rules' selections

  private static List<String> abandonedDeliveries(Connection connection, Instant cutoff, Pass pass)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT d.id FROM caravan_delivery d JOIN caravan_subscription s ON s.subscriber ="
                + " d.subscriber WHERE s.active = FALSE AND d.created_at < ? ORDER BY"
                + " d.created_at LIMIT ?")) {
      query.setObject(1, utc(cutoff));
      query.setInt(2, pass.batchSize);
      return ids(query);
    }
  }

  private static List<String> oldRuns(Connection connection, Instant cutoff, Pass pass)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT r.id FROM caravan_run r WHERE r.ended_at < ? AND "
                + REMOVABLE_RUN
                + " ORDER BY r.ended_at LIMIT ?")) {
      query.setObject(1, utc(cutoff));
      query.setObject(2, utc(pass.canceledBefore));
      query.setInt(3, pass.batchSize);
      return ids(query);
    }
  }

  /**
   * The pipelines: every run was made for a subscription (its route id), and the subscription table
   * is small, where a DISTINCT over the runs would read them all. Runs of a subscription deleted by
   * hand are left to the age and event limits.
   */
  private static List<String> pipelines(Connection connection) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement("SELECT subscriber FROM caravan_subscription")) {
      return ids(query);
    }
  }

  /** The sequence number of the oldest ended run of the pipeline that the count keeps. */
  private static Optional<Long> oldestKeptRun(Connection connection, String pipeline, int keep)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT r.seq FROM caravan_run r WHERE r.pipeline = ? AND r.status IN "
                + ENDED
                + " ORDER BY r.seq DESC LIMIT 1 OFFSET ?")) {
      query.setString(1, pipeline);
      query.setInt(2, keep - 1);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? Optional.of(rows.getLong(1)) : Optional.empty();
      }
    }
  }

  private static List<String> runsBefore(
      Connection connection, String pipeline, long oldestKept, Pass pass) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT r.id FROM caravan_run r WHERE r.pipeline = ? AND r.seq < ? AND "
                + REMOVABLE_RUN
                + " ORDER BY r.seq LIMIT ?")) {
      query.setString(1, pipeline);
      query.setLong(2, oldestKept);
      query.setObject(3, utc(pass.canceledBefore));
      query.setInt(4, pass.batchSize);
      return ids(query);
    }
  }

  private static List<String> oldEventsWithoutRuns(Connection connection, Instant cutoff, Pass pass)
      throws SQLException {
    // the pass deleted the old runs first; an event a kept run refers to stays with it
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT e.id FROM caravan_event e WHERE e.received_at < ? AND NOT EXISTS (SELECT 1"
                + " FROM caravan_run r WHERE r.event_id = e.id) ORDER BY e.received_at LIMIT ?")) {
      query.setObject(1, utc(cutoff));
      query.setInt(2, pass.batchSize);
      return ids(query);
    }
  }

  /** When the oldest event the count keeps was received. */
  private static Optional<OffsetDateTime> oldestKeptEvent(Connection connection, int keep)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT received_at FROM caravan_event ORDER BY received_at DESC LIMIT 1 OFFSET ?")) {
      query.setInt(1, keep - 1);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next()
            ? Optional.of(rows.getObject(1, OffsetDateTime.class))
            : Optional.empty();
      }
    }
  }

  /** Events received before the oldest kept one whose runs may all go. */
  private static List<String> eventsBefore(
      Connection connection, OffsetDateTime oldestKept, Pass pass) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT e.id FROM caravan_event e WHERE e.received_at < ? AND NOT EXISTS (SELECT 1"
                + " FROM caravan_run r WHERE r.event_id = e.id AND NOT ("
                + REMOVABLE_RUN
                + ")) ORDER BY e.received_at LIMIT ?")) {
      query.setObject(1, oldestKept);
      query.setObject(2, utc(pass.canceledBefore));
      query.setInt(3, pass.batchSize);
      return ids(query);
    }
  }

  // the deletes

  /** Deliveries nobody will take, and the pending runs they were to become (the same ids). */
  private static Batch deleteAbandoned(Connection connection, List<String> deliveryIds)
      throws SQLException {
    if (deliveryIds.isEmpty()) {
      return new Batch(0, Removed.NONE);
    }
    update(connection, "DELETE FROM caravan_delivery WHERE id IN ", deliveryIds);
    long runs =
        update(
            connection,
            "DELETE FROM caravan_run WHERE status = '" + RunStatus.PENDING.name() + "' AND id IN ",
            deliveryIds);
    return new Batch(deliveryIds.size(), new Removed(0, runs, 0, 0));
  }

  private static Batch deleteRuns(Connection connection, List<String> runIds) throws SQLException {
    if (runIds.isEmpty()) {
      return new Batch(0, Removed.NONE);
    }
    // the logs first, in their own statement: counted, and not left to a cascade of unknown size
    long logChunks = update(connection, "DELETE FROM caravan_step_log WHERE run_id IN ", runIds);
    long steps = update(connection, "DELETE FROM caravan_step WHERE run_id IN ", runIds);
    // an ended run's group row is gone unless a crash left it (it counts for nothing then)
    update(connection, "DELETE FROM caravan_run_group WHERE run_id IN ", runIds);
    long runs = update(connection, "DELETE FROM caravan_run WHERE id IN ", runIds);
    return new Batch(runIds.size(), new Removed(0, runs, steps, logChunks));
  }

  /** Deletes events that no run refers to (any more). */
  private static Batch deleteEvents(Connection connection, List<String> eventIds)
      throws SQLException {
    if (eventIds.isEmpty()) {
      return new Batch(0, Removed.NONE);
    }
    long events =
        update(
            connection,
            "DELETE FROM caravan_event WHERE NOT EXISTS (SELECT 1 FROM caravan_run r WHERE"
                + " r.event_id = caravan_event.id) AND id IN ",
            eventIds);
    return new Batch(eventIds.size(), new Removed(events, 0, 0, 0));
  }

  /**
   * Deletes the events with their removable runs and those runs' steps; an event that got a new run
   * meanwhile (a replay) keeps it and stays.
   */
  private static Batch deleteEvents(Connection connection, List<String> eventIds, Pass pass)
      throws SQLException {
    if (eventIds.isEmpty()) {
      return new Batch(0, Removed.NONE);
    }
    String in = "(" + placeholders(eventIds.size()) + ")";
    long logChunks;
    try (PreparedStatement delete =
        connection.prepareStatement(
            "DELETE FROM caravan_step_log WHERE run_id IN (SELECT r.id FROM caravan_run r WHERE"
                + " r.event_id IN "
                + in
                + " AND "
                + REMOVABLE_RUN
                + ")")) {
      int i = bind(delete, 1, eventIds);
      delete.setObject(i, utc(pass.canceledBefore));
      logChunks = delete.executeUpdate();
    }
    long steps;
    try (PreparedStatement delete =
        connection.prepareStatement(
            "DELETE FROM caravan_step WHERE run_id IN (SELECT r.id FROM caravan_run r WHERE"
                + " r.event_id IN "
                + in
                + " AND "
                + REMOVABLE_RUN
                + ")")) {
      int i = bind(delete, 1, eventIds);
      delete.setObject(i, utc(pass.canceledBefore));
      steps = delete.executeUpdate();
    }
    long runs;
    try (PreparedStatement delete =
        connection.prepareStatement(
            "DELETE FROM caravan_run r WHERE r.event_id IN " + in + " AND " + REMOVABLE_RUN)) {
      int i = bind(delete, 1, eventIds);
      delete.setObject(i, utc(pass.canceledBefore));
      runs = delete.executeUpdate();
    }
    Batch events = deleteEvents(connection, eventIds);
    return new Batch(eventIds.size(), new Removed(events.removed.events, runs, steps, logChunks));
  }

  // helpers

  private static long update(Connection connection, String sqlBeforeIds, List<String> ids)
      throws SQLException {
    try (PreparedStatement delete =
        connection.prepareStatement(sqlBeforeIds + "(" + placeholders(ids.size()) + ")")) {
      bind(delete, 1, ids);
      return delete.executeUpdate();
    }
  }

  private static int bind(PreparedStatement statement, int first, List<String> values)
      throws SQLException {
    int i = first;
    for (String value : values) {
      statement.setString(i++, value);
    }
    return i;
  }

  private static String placeholders(int count) {
    return String.join(", ", Collections.nCopies(count, "?"));
  }

  private static List<String> ids(PreparedStatement query) throws SQLException {
    List<String> found = new ArrayList<>();
    try (ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        found.add(rows.getString(1));
      }
    }
    return found;
  }

  private static String statuses(Stream<RunStatus> statuses) {
    return statuses
        .map(status -> "'" + status.name() + "'")
        .collect(Collectors.joining(", ", "(", ")"));
  }
}
