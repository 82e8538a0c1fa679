package dev.caravan.run;

import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.JdbcEventStore;
import dev.caravan.store.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Runs started by hand: a run of one pipeline for a new event ("run now"), and a new run of the
 * same pipeline for the same event as an ended run (retry, reusing its succeeded steps, or rerun).
 * Each is queued as a delivery of the event bus for that pipeline alone, with its PENDING record,
 * in one transaction.
 */
final class ManualRuns {

  private final Jdbc jdbc;
  private final JdbcEventStore events;

  ManualRuns(Jdbc jdbc, JdbcEventStore events) {
    this.jdbc = jdbc;
    this.events = events;
  }

  /**
   * Stores the event and queues its delivery to the pipeline only, whatever else it matches.
   *
   * @return the new run's delivery, or empty when the pipeline has no active subscription (or an
   *     event with that id exists: the caller gives each a new id)
   */
  Optional<Delivery> start(String pipeline, Event event) {
    return jdbc.write(
        connection -> {
          if (!active(connection, pipeline) || !events.insert(connection, event)) {
            return Optional.empty();
          }
          Delivery delivery = events.enqueue(connection, event, pipeline);
          JdbcRunStore.insertPending(connection, List.of(delivery), null);
          return Optional.of(delivery);
        });
  }

  /**
   * A new run of the ended run's pipeline for its event, recording which run it retries.
   *
   * @param keepSucceeded whether the new run reuses the steps that succeeded in that run
   */
  Runs.Retry retry(String runId, boolean keepSucceeded) {
    return jdbc.write(
        connection -> {
          Optional<RunView> original = JdbcRunStore.run(connection, runId);
          if (original.isEmpty()) {
            return new Runs.Retry(Runs.RetryOutcome.NO_SUCH_RUN, null, null);
          }
          RunView run = original.get();
          if (!run.status().isFinal()) {
            return new Runs.Retry(Runs.RetryOutcome.IN_FLIGHT, run, null);
          }
          Optional<Event> event = JdbcEventStore.find(connection, run.eventId());
          if (event.isEmpty() || !active(connection, run.pipeline())) {
            return new Runs.Retry(Runs.RetryOutcome.PIPELINE_INACTIVE, run, null);
          }
          Delivery delivery = events.enqueue(connection, event.get(), run.pipeline());
          JdbcRunStore.insertPending(
              connection, List.of(delivery), keepSucceeded ? runId : null, runId);
          return new Runs.Retry(Runs.RetryOutcome.STARTED, run, delivery);
        });
  }

  /** Whether the pipeline collects deliveries (its route is there), in the caller's transaction. */
  private static boolean active(Connection connection, String pipeline) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT active FROM caravan_subscription WHERE subscriber = ?")) {
      query.setString(1, pipeline);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() && rows.getBoolean(1);
      }
    }
  }
}
