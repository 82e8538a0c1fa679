package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.JdbcEventStore;
import dev.caravan.event.Subscription;
import dev.caravan.kjob.StepOutput;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepRequests;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link JdbcStepJournal} keeps step logs: chunks appended while a step runs and when it ends,
 * never rewritten. Run on H2 ({@code StepLogH2Test}) and PostgreSQL ({@code StepLogPostgresIT}).
 */
abstract class StepLogContract {

  private DataSource dataSource;
  private RunStores stores;
  private JdbcEventStore events;
  private JdbcStepJournal runs;

  /** A freshly migrated database. */
  abstract DataSource freshDatabase() throws Exception;

  @BeforeEach
  void store() throws Exception {
    dataSource = freshDatabase();
    stores = new RunStores(dataSource);
    events = stores.events;
    runs = stores.journal;
    events.subscribe(new Subscription("pipe", "test", List.of(), null));
  }

  /** A new RUNNING run of the test pipeline. */
  private String run() {
    String eventId = UUID.randomUUID().toString();
    events.append(new Event(eventId, "test", "go", null, Instant.now(), Map.of(), "{}"));
    Delivery delivery =
        events.waiting("pipe", 100).stream()
            .filter(d -> d.event().id().equals(eventId))
            .findFirst()
            .orElseThrow();
    stores.start(delivery.id(), "me");
    return delivery.id();
  }

  private static StepResult result(StepRequest request, String output) {
    Instant now = Instant.now();
    return new StepResult(request.jobName(), StepStatus.SUCCEEDED, 0, output, now, now);
  }

  /** The stored chunks of the step's log, in order. */
  private List<String> chunks(StepRequest request) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT seq, content FROM caravan_step_log WHERE run_id = ? AND step_name = ?"
                    + " AND fan_out_index = ? AND attempt = ? ORDER BY seq")) {
      query.setString(1, request.runId());
      query.setString(2, request.stepName());
      query.setString(3, request.fanOutIndex());
      query.setInt(4, request.attempt());
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          assertThat(rows.getInt(1)).as("chunk numbers without gaps").isEqualTo(found.size());
          found.add(rows.getString(2));
        }
      }
    }
    return found;
  }

  @Test
  void liveOutputIsAppendedAndTheEndAppendsOnlyWhatWasNotThereYet() throws Exception {
    StepRequest step = StepRequests.local(run(), "build", "", 1);
    runs.started(step, "local", null);

    runs.output(step, "one\n");
    runs.output(step, "two\n");
    assertThat(runs.log(step.runId(), "build", "", 1)).isEqualTo("one\ntwo\n");
    String whole = "one\ntwo\n" + StepOutput.marker(1000) + "the end\n";
    runs.ended(step, result(step, whole));

    assertThat(chunks(step))
        .as("earlier chunks are left as they were")
        .containsExactly("one\n", "two\n", StepOutput.marker(1000) + "the end\n");
    assertThat(runs.log(step.runId(), "build", "", 1)).isEqualTo(whole);
    assertThat(runs.latest(step.runId(), "build", "").orElseThrow().toResult().output())
        .as("what a resumed run gives back")
        .isEqualTo(whole);
    assertThat(runs.steps(step.runId()))
        .singleElement()
        .satisfies(view -> assertThat(view.record().output()).as("lists leave logs out").isNull());
  }

  @Test
  void aLongOutputIsStoredInBoundedChunks() throws Exception {
    StepRequest step = StepRequests.local(run(), "long", "0", 1);
    runs.started(step, "local", null);
    String whole = "0123456789\uD83D\uDE80".repeat(10_000);

    runs.ended(step, result(step, whole));

    List<String> chunks = chunks(step);
    assertThat(chunks)
        .hasSizeGreaterThan(5)
        .allSatisfy(
            chunk -> {
              assertThat(chunk.length()).isLessThanOrEqualTo(JdbcStepJournal.CHUNK_CHARS);
              assertThat(Character.isHighSurrogate(chunk.charAt(chunk.length() - 1))).isFalse();
            });
    assertThat(runs.log(step.runId(), "long", "0", 1)).isEqualTo(whole);
  }

  @Test
  void aStepRunAgainAsTheSameAttemptStartsItsLogAfresh() throws Exception {
    StepRequest step = StepRequests.local(run(), "again", "", 1);
    runs.started(step, "local", null);
    runs.output(step, "before the crash\n");

    JdbcStepJournal afterRestart = new JdbcStepJournal(dataSource);
    afterRestart.started(step, "local", null);
    afterRestart.output(step, "second life\n");
    afterRestart.ended(step, result(step, "second life\nended\n"));

    assertThat(runs.log(step.runId(), "again", "", 1)).isEqualTo("second life\nended\n");
  }

  @Test
  void outputOfAStepThatEndedIsNotAppended() throws Exception {
    StepRequest step = StepRequests.local(run(), "late", "", 1);
    runs.started(step, "local", null);
    runs.ended(step, result(step, "all\n"));

    runs.output(step, "late\n");

    assertThat(runs.log(step.runId(), "late", "", 1)).isEqualTo("all\n");
  }

  @Test
  void stepsOfUnrecordedRunsLeaveNothing() throws Exception {
    StepRequest step = StepRequests.local("not-a-run", "adhoc", "", 1);
    runs.started(step, "local", null);
    runs.output(step, "text\n");
    runs.ended(step, result(step, "text\n"));

    assertThat(chunks(step)).isEmpty();
  }

  @Test
  void aReplayThatReusesAStepCopiesItsLog() throws Exception {
    StepRequest first = StepRequests.local(run(), "build", "", 1);
    runs.started(first, "local", null);
    runs.ended(first, result(first, "built\n"));
    String replay = run();

    runs.copy(first.runId(), replay, "build", "");

    assertThat(runs.log(replay, "build", "", 1)).isEqualTo("built\n");
    assertThat(runs.latest(replay, "build", "").orElseThrow().output()).isEqualTo("built\n");
  }

  @Test
  void deletingAStepDeletesItsLog() throws Exception {
    StepRequest step = StepRequests.local(run(), "gone", "", 1);
    runs.started(step, "local", null);
    runs.ended(step, result(step, "x".repeat(50_000)));
    assertThat(chunks(step)).isNotEmpty();

    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.executeUpdate(
          "DELETE FROM caravan_step WHERE run_id = '" + step.runId() + "' AND step_name = 'gone'");
    }

    assertThat(chunks(step)).isEmpty();
  }
}
