package dev.caravan.run;

import static dev.caravan.store.Jdbc.utc;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.event.Event;
import dev.caravan.event.JdbcEventStore;
import dev.caravan.event.Subscription;
import dev.caravan.store.Jdbc;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link JdbcRetention} deletes and keeps, on a real database: the subclasses run these
 * scenarios on H2 ({@link RetentionTest}) and PostgreSQL ({@link PostgresRetentionIT}). Runs are
 * made by the event store as in production (append, start, finish, cancel, replay); only their
 * timestamps are moved into the past, by SQL.
 */
abstract class RetentionScenarios {

  private static final Duration DAY = Duration.ofDays(1);

  private DataSource dataSource;
  private Jdbc jdbc;
  private RunStores stores;
  private JdbcEventStore store;
  private JdbcRunStore runs;
  private Instant now;

  /** A fresh, empty database for each test. */
  abstract DataSource freshDatabase() throws Exception;

  @BeforeEach
  void migratedStore() throws Exception {
    dataSource = freshDatabase();
    jdbc = new Jdbc(dataSource);
    stores = new RunStores(dataSource);
    store = stores.events;
    runs = stores.runs;
    now = Instant.now();
  }

  private static RetentionPolicy policy(Duration maxAge, int maxRuns, int maxEvents) {
    return new RetentionPolicy(true, maxAge, maxRuns, maxEvents, Duration.ofMinutes(1), 500);
  }

  private JdbcRetention.Removed sweep(RetentionPolicy policy) {
    List<JdbcRetention.Removed> batches = new ArrayList<>();
    JdbcRetention.Removed total =
        new JdbcRetention(dataSource).sweep(policy, now, batches::add, () -> true);
    assertThat(batches.stream().reduce(JdbcRetention.Removed.NONE, JdbcRetention.Removed::plus))
        .as("the batches add up to the pass")
        .isEqualTo(total);
    return total;
  }

  @Test
  void deletesRunsThatEndedLongerAgoThanMaxAgeWithTheirStepsAndThenTheirEvents() {
    String old = endedRun("old", "p", RunStatus.SUCCEEDED, Duration.ofDays(31));
    steps(old, 2);
    String failed = endedRun("failed", "p", RunStatus.FAILED, Duration.ofDays(40));
    steps(failed, 1);
    String young = endedRun("young", "p", RunStatus.SUCCEEDED, Duration.ofDays(29));
    steps(young, 3);
    // an old event whose run ended recently (a replay, a long run) stays with its run
    String lateRun = endedRun("received-long-ago", "p", RunStatus.TIMED_OUT, DAY);
    received("received-long-ago", Duration.ofDays(60));
    // an old event no pipeline subscribed to
    store.append(event("unsubscribed", "nobody"));
    received("unsubscribed", Duration.ofDays(31));

    JdbcRetention.Removed removed = sweep(policy(Duration.ofDays(30), 0, 0));

    assertThat(removed).isEqualTo(new JdbcRetention.Removed(3, 2, 3, 3));
    assertThat(runIds()).containsExactlyInAnyOrder(young, lateRun);
    assertThat(stepRuns()).containsOnly(young);
    assertThat(eventIds()).containsExactlyInAnyOrder("young", "received-long-ago");
    assertThat(sweep(policy(Duration.ofDays(30), 0, 0))).isEqualTo(JdbcRetention.Removed.NONE);
  }

  @Test
  void deletesOldDeliveriesOfARemovedPipelineWithTheirPendingRunsAndThenTheirEvents() {
    String abandoned = pendingRun("abandoned", "removed");
    String recent = pendingRun("recent", "removed");
    String waiting = pendingRun("waiting", "kept");
    store.deactivate("removed");
    queued(abandoned, Duration.ofDays(31));
    received("abandoned", Duration.ofDays(31));
    queued(waiting, Duration.ofDays(31));
    received("waiting", Duration.ofDays(31));

    JdbcRetention.Removed removed = sweep(policy(Duration.ofDays(30), 0, 0));

    assertThat(removed).isEqualTo(new JdbcRetention.Removed(1, 1, 0, 0));
    assertThat(runIds()).containsExactlyInAnyOrder(recent, waiting);
    assertThat(eventIds()).containsExactlyInAnyOrder("recent", "waiting");
    assertThat(store.waitingCount("removed")).isEqualTo(1);
    assertThat(store.waitingCount("kept")).as("an active pipeline's queue is kept").isEqualTo(1);
  }

  @Test
  void keepsTheNewestEndedRunsOfEachPipelineAndEveryRunInFlight() {
    String pending = pendingRun("pending", "p");
    String running = runningRun("running", "p");
    List<String> ended = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ended.add(endedRun("p-" + i, "p", RunStatus.SUCCEEDED, Duration.ZERO));
      steps(ended.get(i), 1);
    }
    steps(running, 1);
    String otherPipeline = endedRun("q-0", "q", RunStatus.FAILED, Duration.ZERO);

    JdbcRetention.Removed removed = sweep(policy(Duration.ZERO, 2, 0));

    assertThat(removed).isEqualTo(new JdbcRetention.Removed(0, 3, 3, 3));
    assertThat(runIds())
        .containsExactlyInAnyOrder(pending, running, ended.get(3), ended.get(4), otherPipeline);
    assertThat(stepRuns()).containsExactlyInAnyOrder(running, ended.get(3), ended.get(4));
    assertThat(eventIds()).as("no event limit").hasSize(8);
    assertThat(run(pending).status()).isEqualTo(RunStatus.PENDING);
    assertThat(run(running).status()).isEqualTo(RunStatus.RUNNING);
  }

  @Test
  void neverDeletesARunInFlightNorItsEventHoweverOldOrManyTheyAre() {
    String pending = pendingRun("pending", "p");
    String running = runningRun("running", "p");
    received("pending", Duration.ofDays(400));
    received("running", Duration.ofDays(400));
    // an event with an old ended run and a run still in flight (e.g. a replay)
    String oldEnded = endedRun("mixed", "p", RunStatus.SUCCEEDED, Duration.ofDays(300));
    List<String> replayed = stores.replay("mixed", false);
    received("mixed", Duration.ofDays(400));

    JdbcRetention.Removed removed = sweep(policy(Duration.ofDays(1), 1, 1));

    assertThat(removed).isEqualTo(new JdbcRetention.Removed(0, 1, 0, 0));
    assertThat(runIds()).doesNotContain(oldEnded).contains(pending, running).containsAll(replayed);
    assertThat(eventIds()).containsExactlyInAnyOrder("pending", "running", "mixed");
  }

  @Test
  void deletesTheOldestEventsBeyondMaxEventsWithTheirRunsOnceNoneIsInFlight() {
    store.append(event("e1", "nobody"));
    String e2 = endedRun("e2", "p", RunStatus.SUCCEEDED, Duration.ZERO);
    steps(e2, 2);
    String e3 = runningRun("e3", "p");
    String e4 = endedRun("e4", "p", RunStatus.SUCCEEDED, Duration.ZERO);
    endedRun("e5", "p", RunStatus.FAILED, Duration.ZERO);
    store.append(event("e6", "nobody"));
    for (int i = 1; i <= 6; i++) {
      received("e" + i, Duration.ofHours(10 - i));
    }

    JdbcRetention.Removed removed = sweep(policy(Duration.ZERO, 0, 3));

    assertThat(removed).isEqualTo(new JdbcRetention.Removed(2, 1, 2, 2));
    assertThat(eventIds()).containsExactlyInAnyOrder("e3", "e4", "e5", "e6");
    assertThat(runIds()).contains(e3, e4).doesNotContain(e2);
    assertThat(stepRuns()).isEmpty();
  }

  @Test
  void keepsACanceledRunForAnHourAndARunWhoseStepsAWaitingReplayReuses() {
    String canceledNow = runningRun("canceled-now", "p");
    runs.cancel(store, canceledNow);
    String canceledLongAgo = runningRun("canceled-long-ago", "p");
    runs.cancel(store, canceledLongAgo);
    ended(canceledLongAgo, Duration.ofHours(2));
    String reused = endedRun("reused", "p", RunStatus.FAILED, Duration.ofDays(90));
    String replay = stores.replay("reused", true).get(0);
    assertThat(run(replay).reuseFrom()).isEqualTo(reused);
    endedRun("newest", "p", RunStatus.SUCCEEDED, Duration.ZERO);

    JdbcRetention.Removed removed = sweep(policy(Duration.ofDays(30), 1, 0));

    assertThat(runIds()).containsOnly(canceledNow, reused, replay, runIdOf("newest"));
    assertThat(removed.runs()).isEqualTo(1);

    // once the replay has ended, the run it reused may go
    stores.start(replay, "instance");
    runs.finish(replay, RunStatus.SUCCEEDED, null);
    sweep(policy(Duration.ofDays(30), 1, 0));
    assertThat(runIds()).containsOnly(canceledNow, runIdOf("newest"));
  }

  @Test
  void deletesInBatchesOfTheBatchSizeEachCommittedOnItsOwn() {
    for (int i = 0; i < 5; i++) {
      steps(endedRun("old-" + i, "p", RunStatus.SUCCEEDED, Duration.ofDays(31)), 1);
    }
    List<JdbcRetention.Removed> batches = new ArrayList<>();

    new JdbcRetention(dataSource)
        .sweep(
            new RetentionPolicy(true, Duration.ofDays(30), 0, 0, Duration.ofMinutes(1), 2),
            now,
            batches::add,
            () -> true);

    assertThat(batches)
        .containsExactly(
            new JdbcRetention.Removed(0, 2, 2, 2),
            new JdbcRetention.Removed(0, 2, 2, 2),
            new JdbcRetention.Removed(0, 1, 1, 1),
            new JdbcRetention.Removed(2, 0, 0, 0),
            new JdbcRetention.Removed(2, 0, 0, 0),
            new JdbcRetention.Removed(1, 0, 0, 0));
    assertThat(eventIds()).isEmpty();
  }

  @Test
  void stopsBetweenBatchesWhenAskedTo() {
    for (int i = 0; i < 5; i++) {
      endedRun("old-" + i, "p", RunStatus.SUCCEEDED, Duration.ofDays(31));
    }
    int[] asked = {0};

    JdbcRetention.Removed removed =
        new JdbcRetention(dataSource)
            .sweep(
                new RetentionPolicy(true, Duration.ofDays(30), 0, 0, Duration.ofMinutes(1), 2),
                now,
                batch -> {},
                () -> asked[0]++ == 0);

    assertThat(removed).isEqualTo(new JdbcRetention.Removed(0, 2, 0, 0));
    assertThat(runIds()).hasSize(3);
  }

  @Test
  void aRedeliveryOfADeletedEventIsStoredAgainAsANewEvent() {
    store.subscribe(new Subscription("p", "p", List.of(), null));
    assertThat(store.append(event("again", "p"))).isTrue();
    assertThat(store.append(event("again", "p"))).as("a duplicate while it is kept").isFalse();
    String first = runIdOf("again");
    stores.start(first, "instance");
    runs.finish(first, RunStatus.SUCCEEDED, null);
    received("again", Duration.ofDays(31));
    ended(first, Duration.ofDays(31));
    assertThat(sweep(policy(Duration.ofDays(30), 0, 0)).events()).isEqualTo(1);

    assertThat(store.append(event("again", "p"))).as("stored again once deleted").isTrue();
    assertThat(runIds()).singleElement().isNotEqualTo(first);
  }

  @Test
  void theRetentionIndexesExist() {
    List<String> indexes =
        jdbc.inTransaction(
            connection -> {
              List<String> names = new ArrayList<>();
              try (ResultSet rows =
                  connection.getMetaData().getIndexInfo(null, null, table(), false, false)) {
                while (rows.next()) {
                  String name = rows.getString("INDEX_NAME");
                  if (name != null) {
                    names.add(name.toLowerCase());
                  }
                }
              }
              return names;
            });

    assertThat(indexes)
        .contains("caravan_run_ended", "caravan_run_pipeline_seq", "caravan_run_reuse");
  }

  /** The run table's name as the database's metadata spells it. */
  abstract String table();

  // making runs

  private static Event event(String id, String source) {
    return new Event(id, source, "push", "octo/repo", Instant.now(), Map.of(), "{}");
  }

  private String pendingRun(String eventId, String pipeline) {
    store.subscribe(new Subscription(pipeline, pipeline, List.of(), null));
    assertThat(store.append(event(eventId, pipeline))).isTrue();
    return runIdOf(eventId);
  }

  private String runningRun(String eventId, String pipeline) {
    String runId = pendingRun(eventId, pipeline);
    assertThat(stores.start(runId, "instance")).isTrue();
    return runId;
  }

  private String endedRun(String eventId, String pipeline, RunStatus status, Duration endedAgo) {
    String runId = runningRun(eventId, pipeline);
    runs.finish(runId, status, null);
    ended(runId, endedAgo);
    received(eventId, endedAgo);
    return runId;
  }

  /** Steps of the run, ended, with a log (one chunk) each. */
  private void steps(String runId, int count) {
    jdbc.inTransaction(
        connection -> {
          try (PreparedStatement step =
                  connection.prepareStatement(
                      "INSERT INTO caravan_step (run_id, step_name, fan_out_index, attempt,"
                          + " executor, job_name, status, started_at, ended_at) VALUES (?, ?, '',"
                          + " 1, 'local', ?, 'SUCCEEDED', ?, ?)");
              PreparedStatement log =
                  connection.prepareStatement(
                      "INSERT INTO caravan_step_log (run_id, step_name, fan_out_index, attempt,"
                          + " seq, content) VALUES (?, ?, '', 1, 0, 'output')")) {
            for (int i = 0; i < count; i++) {
              step.setString(1, runId);
              step.setString(2, "step-" + i);
              step.setString(3, "job-" + i);
              step.setObject(4, utc(now));
              step.setObject(5, utc(now));
              step.executeUpdate();
              log.setString(1, runId);
              log.setString(2, "step-" + i);
              log.executeUpdate();
            }
          }
          return null;
        });
  }

  private void ended(String runId, Duration ago) {
    sql("UPDATE caravan_run SET ended_at = ? WHERE id = ?", now.minus(ago), runId);
  }

  private void queued(String deliveryId, Duration ago) {
    sql("UPDATE caravan_delivery SET created_at = ? WHERE id = ?", now.minus(ago), deliveryId);
  }

  private void received(String eventId, Duration ago) {
    sql("UPDATE caravan_event SET received_at = ? WHERE id = ?", now.minus(ago), eventId);
  }

  private void sql(String update, Instant time, String id) {
    jdbc.inTransaction(
        connection -> {
          try (PreparedStatement statement = connection.prepareStatement(update)) {
            statement.setObject(1, utc(time));
            statement.setString(2, id);
            assertThat(statement.executeUpdate()).as(update + " " + id).isEqualTo(1);
          }
          return null;
        });
  }

  // reading what is left

  private RunView run(String runId) {
    return runs.run(runId).orElseThrow();
  }

  private String runIdOf(String eventId) {
    List<RunView> found = runs.runs(null, null, eventId, 10, 0);
    assertThat(found).as("runs of " + eventId).hasSize(1);
    return found.get(0).id();
  }

  private Set<String> runIds() {
    return column("SELECT id FROM caravan_run");
  }

  private Set<String> eventIds() {
    return column("SELECT id FROM caravan_event");
  }

  private Set<String> stepRuns() {
    return column("SELECT DISTINCT run_id FROM caravan_step");
  }

  private Set<String> column(String query) {
    return jdbc.inTransaction(
        connection -> {
          Set<String> values = new HashSet<>();
          try (PreparedStatement statement = connection.prepareStatement(query);
              ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
              values.add(rows.getString(1));
            }
          }
          return values;
        });
  }
}
