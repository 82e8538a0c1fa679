package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.Subscription;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepRequests;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The change feed: every change of a run or step, made by any Caravan on the store, is handed out
 * once and in order by another Caravan's reader, and a change whose transaction commits after a
 * later-numbered one is waited for. Run on H2 ({@code ChangeFeedH2Test}) and PostgreSQL ({@code
 * ChangeFeedPostgresIT}).
 */
abstract class ChangeFeedContract {

  private static final Duration GRACE = Duration.ofSeconds(2);

  private DataSource dataSource;

  /** The Caravan that makes changes, and another one on the same store that reads them. */
  private RunStores writer;

  private RunStores reader;

  /** A freshly migrated database. */
  abstract DataSource freshDatabase() throws Exception;

  @BeforeEach
  void store() throws Exception {
    dataSource = freshDatabase();
    writer = new RunStores(dataSource);
    reader = new RunStores(dataSource);
    writer.events.subscribe(new Subscription("pipe", "test", List.of(), null));
  }

  private String pendingRun() {
    String eventId = UUID.randomUUID().toString();
    writer.events.append(new Event(eventId, "test", "go", null, Instant.now(), Map.of(), "{}"));
    return writer.events.waiting("pipe", 100).stream()
        .map(Delivery::id)
        .filter(id -> writer.runs.run(id).orElseThrow().eventId().equals(eventId))
        .findFirst()
        .orElseThrow();
  }

  private ChangeFeed feed() {
    return new ChangeFeed(new ChangeLog(reader.database.jdbc()), GRACE, 100);
  }

  @Test
  void everyChangeOfARunAndItsStepsMadeByOneCaravanIsReadByAnotherOnceAndInOrder()
      throws Exception {
    ChangeFeed feed = feed();
    Instant now = Instant.now();
    assertThat(feed.poll(now)).as("the first poll starts from now").isEmpty();

    String runId = pendingRun();
    writer.start(runId, "writer");
    StepRequest build = StepRequests.local(runId, "build", "", 1);
    writer.journal.started(build, "local", null);
    writer.journal.output(build, "a line\n");
    Instant ended = Instant.now();
    writer.journal.ended(
        build, new StepResult(build.jobName(), StepStatus.SUCCEEDED, 0, "a line\n", ended, ended));
    writer.runs.finish(runId, RunStatus.SUCCEEDED, null);

    List<ChangeLog.Change> changes = feed.poll(now);
    assertThat(changes)
        .extracting(ChangeLog.Change::kind)
        .as("created, started, step started, step ended, ended; log lines are no change")
        .containsExactly(
            ChangeLog.Kind.RUN,
            ChangeLog.Kind.RUN,
            ChangeLog.Kind.STEP,
            ChangeLog.Kind.STEP,
            ChangeLog.Kind.RUN);
    assertThat(changes).extracting(ChangeLog.Change::runId).containsOnly(runId);
    assertThat(changes).extracting(ChangeLog.Change::pipeline).containsOnly("pipe");
    assertThat(changes.get(2).stepName()).isEqualTo("build");
    assertThat(changes.get(2).attempt()).isEqualTo(1);
    assertThat(changes).extracting(ChangeLog.Change::seq).isSorted().doesNotHaveDuplicates();
    assertThat(feed.poll(now)).as("each change once").isEmpty();
    assertThat(feed.delivered()).isEqualTo(changes.get(4).seq());
  }

  @Test
  void aChangeThatCommitsAfterALaterNumberedOneIsWaitedForAndOneRolledBackIsPassedAfterTheGrace()
      throws Exception {
    String first = pendingRun();
    String second = pendingRun();
    ChangeFeed feed = feed();
    Instant now = Instant.now();
    feed.poll(now);

    try (Connection slow = dataSource.getConnection()) {
      slow.setAutoCommit(false);
      ChangeLog.runChanged(slow, first);
      writer.runs.cancel(writer.events, second);

      assertThat(feed.poll(now)).as("held back behind the open transaction's change").isEmpty();
      slow.commit();
    }
    assertThat(feed.poll(now)).extracting(ChangeLog.Change::runId).containsExactly(first, second);

    try (Connection rolledBack = dataSource.getConnection()) {
      rolledBack.setAutoCommit(false);
      ChangeLog.runChanged(rolledBack, first);
      writer.runs.cancel(writer.events, first);
      rolledBack.rollback();
    }
    assertThat(feed.poll(now)).as("waiting for the missing number").isEmpty();
    assertThat(feed.poll(now.plus(GRACE)))
        .extracting(ChangeLog.Change::runId)
        .containsExactly(first);
  }

  @Test
  void changesOlderThanTheBoundAreDeleted() {
    String runId = pendingRun();
    ChangeLog log = new ChangeLog(writer.database.jdbc());
    assertThat(log.after(0, 10)).hasSize(1);
    assertThat(log.prune(Instant.now().minusSeconds(60), 10)).isZero();
    assertThat(log.prune(Instant.now().plusSeconds(1), 10)).isEqualTo(1);
    assertThat(log.after(0, 10)).isEmpty();
    assertThat(writer.runs.run(runId)).isPresent();
  }
}
