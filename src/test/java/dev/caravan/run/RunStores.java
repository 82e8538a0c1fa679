package dev.caravan.run;

import dev.caravan.event.Delivery;
import dev.caravan.event.JdbcEventStore;
import dev.caravan.store.Database;
import dev.caravan.store.StoreHealth;
import java.util.List;
import javax.sql.DataSource;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The stores of events and runs on one migrated database, wired as the run layer wires them (every
 * appended delivery gets its PENDING run), for tests that make runs without routes.
 */
final class RunStores {

  final Database database;
  final JdbcEventStore events;
  final JdbcRunStore runs;
  final JdbcStepJournal journal;

  RunStores(DataSource dataSource) {
    database = Database.on(dataSource, new StoreHealth());
    events = new JdbcEventStore(database, new Runs(new DefaultCamelContext()).dispatcher());
    runs = new JdbcRunStore(database.jdbc());
    journal = new JdbcStepJournal(database.jdbc());
  }

  /** Starts that PENDING run here, as a consumer taking its delivery does. */
  boolean start(String runId, String owner) {
    return database
        .jdbc()
        .write(
            connection -> {
              events.discard(connection, runId);
              return !JdbcRunStore.claim(
                      connection, List.of(new Delivery(runId, null, null)), owner)
                  .isEmpty();
            });
  }

  /** Replays the event; the ids of the new runs. */
  List<String> replay(String eventId, boolean keepSucceeded) {
    return runs.replay(events, eventId, keepSucceeded).orElseThrow().stream()
        .map(run -> run.delivery().id())
        .toList();
  }
}
