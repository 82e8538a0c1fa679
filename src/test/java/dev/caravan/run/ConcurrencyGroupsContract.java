package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.TestProcesses;
import dev.caravan.event.ConcurrencyGroups;
import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.Subscription;
import dev.caravan.kjob.KjobComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrency groups (the event consumer's concurrencyKey, concurrencyLimit and onConflict) with
 * real local steps, on one Caravan or two on one store. Each step writes its event's id to {@code
 * started} and waits until the test creates {@code release-<event id>}, so the test decides when a
 * run ends. Run on H2 ({@code ConcurrencyGroupsH2Test}) and PostgreSQL ({@code
 * ConcurrencyGroupsPostgresIT}).
 */
abstract class ConcurrencyGroupsContract {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A step that says it started, then waits for its release file. */
  private static final String GATED =
      "echo $ID >> \"$DIR/started\"; echo $$ > \"$DIR/pid-$ID\";"
          + " while [ ! -f \"$DIR/release-$ID\" ]; do sleep 0.05; done";

  @TempDir Path dir;

  private DataSource dataSource;
  private final List<CamelContext> caravans = new ArrayList<>();
  private final AtomicInteger published = new AtomicInteger();

  /** A freshly migrated (or empty) database. */
  abstract DataSource freshDatabase() throws Exception;

  @BeforeEach
  void database() throws Exception {
    dataSource = freshDatabase();
  }

  @AfterEach
  void stop() throws Exception {
    for (CamelContext caravan : caravans) {
      caravan.stop();
    }
    for (String release : List.of("a", "b", "c", "d", "e", "f")) {
      Files.writeString(dir.resolve("release-" + release), "");
    }
  }

  /** A Caravan on the test's store whose pipeline {@code pipe} has the given event options. */
  private CamelContext caravan(String options) throws Exception {
    return caravan(options, 100);
  }

  private CamelContext caravan(String options, long pollInterval) throws Exception {
    CamelContext camel = new DefaultCamelContext();
    EventComponent events = new EventComponent();
    events.setDataSource(dataSource);
    events.setPollInterval(pollInterval);
    camel.addComponent("event", events);
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(dir.resolve("work-" + caravans.size()).toString());
    camel.addComponent("kjob", kjob);
    String env = "&env.DIR=" + dir + "&env.ID=${header.CaravanEventId}";
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:test?types=go&" + options)
                .routeId("pipe")
                .toD("kjob:gated?script=RAW(" + GATED + ")" + env);
          }
        });
    camel.getPropertiesComponent().addInitialProperty("caravan.runs.lease-timeout", "1s");
    camel.getShutdownStrategy().setTimeout(2);
    camel.start();
    caravans.add(camel);
    return camel;
  }

  /** Publishes event {@code id} (data {@code {"pr": <pr>}}) and answers its run's id. */
  private String publish(CamelContext camel, String id, int pr) {
    published.incrementAndGet();
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:test",
            "{\"pr\": " + pr + "}",
            Map.of(EventConstants.EVENT_ID, id, EventConstants.EVENT_TYPE, "go"));
    return runs().runs("pipe", null, id, 10, 0).get(0).id();
  }

  private JdbcRunStore runs() {
    return new JdbcRunStore(dataSource);
  }

  private RunView run(String runId) {
    return runs().run(runId).orElseThrow();
  }

  private void awaitStatus(String runId, RunStatus status) {
    await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(run(runId).status()).as(runId).isEqualTo(status));
  }

  private void release(String eventId) throws Exception {
    Files.writeString(dir.resolve("release-" + eventId), "");
  }

  private List<String> started() throws Exception {
    Path file = dir.resolve("started");
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  @Test
  void queueLetsOneRunOfAFullGroupRunAndStartsTheOthersInArrivalOrder() throws Exception {
    CamelContext caravan = caravan("concurrencyLimit=1&onConflict=queue");
    String a = publish(caravan, "a", 1);
    awaitStatus(a, RunStatus.RUNNING);
    String b = publish(caravan, "b", 2);
    String c = publish(caravan, "c", 3);

    awaitStatus(b, RunStatus.QUEUED);
    awaitStatus(c, RunStatus.QUEUED);
    assertThat(run(b).summary())
        .isEqualTo("Waiting in concurrency group pipe: 1 of 1 runs in flight");
    assertThat(run(c).summary()).endsWith(", 1 waiting before it");
    assertThat(run(c).concurrencyGroup()).isEqualTo("pipe");

    release("c");
    release("a");
    awaitStatus(a, RunStatus.SUCCEEDED);
    awaitStatus(b, RunStatus.RUNNING);
    assertThat(run(c).status()).isEqualTo(RunStatus.QUEUED);
    assertThat(run(b).summary()).isNull();

    release("b");
    awaitStatus(c, RunStatus.SUCCEEDED);
    assertThat(started()).containsExactly("a", "b", "c");
  }

  @Test
  void runsWaitingForASlotAllQueueInOneTakeWhenASlotFrees() throws Exception {
    // two slots, both taken by runs of two groups; the consumer polls next in ten minutes
    CamelContext caravan =
        caravan("concurrency=2&concurrencyKey=${body[pr]}&concurrencyLimit=1", 600_000);
    String a = publish(caravan, "a", 1);
    String f = publish(caravan, "f", 2);
    awaitStatus(a, RunStatus.RUNNING);
    awaitStatus(f, RunStatus.RUNNING);
    List<String> waiting = new ArrayList<>();
    for (String id : List.of("b", "c", "d", "e")) {
      waiting.add(publish(caravan, id, 1));
    }
    assertThat(run(waiting.get(3)).status()).isEqualTo(RunStatus.PENDING);

    release("f");

    // the freed slot's take finds b's group full, and takes on: all of them wait in the group
    for (String runId : waiting) {
      awaitStatus(runId, RunStatus.QUEUED);
    }
    release("a");
    awaitStatus(waiting.get(0), RunStatus.RUNNING);
  }

  @Test
  void runsWithDifferentKeysAreInDifferentGroups() throws Exception {
    CamelContext caravan = caravan("concurrencyKey=pr-${body[pr]}&concurrencyLimit=1");
    String a = publish(caravan, "a", 1);
    String b = publish(caravan, "b", 2);
    awaitStatus(a, RunStatus.RUNNING);
    awaitStatus(b, RunStatus.RUNNING);
    String c = publish(caravan, "c", 1);

    awaitStatus(c, RunStatus.QUEUED);
    assertThat(run(c).concurrencyGroup()).isEqualTo("pr-1");
    assertThat(run(b).concurrencyGroup()).isEqualTo("pr-2");

    release("b");
    awaitStatus(b, RunStatus.SUCCEEDED);
    assertThat(run(c).status()).as("pr-2's end frees no place in pr-1").isEqualTo(RunStatus.QUEUED);
    release("a");
    release("c");
    awaitStatus(c, RunStatus.SUCCEEDED);
  }

  @Test
  void cancelRunningCancelsTheRunningRunOfTheGroupAndStopsItsStep() throws Exception {
    CamelContext caravan =
        caravan("concurrencyKey=${body[pr]}&concurrencyLimit=1&onConflict=cancelRunning");
    String a = publish(caravan, "a", 7);
    await().atMost(WAIT).until(() -> Files.exists(dir.resolve("pid-a")));
    ProcessHandle step =
        TestProcesses.runningOrFail(Long.parseLong(Files.readString(dir.resolve("pid-a")).trim()));

    String b = publish(caravan, "b", 7);

    awaitStatus(a, RunStatus.CANCELED);
    assertThat(run(a).summary()).isEqualTo("superseded by run " + b);
    awaitStatus(b, RunStatus.RUNNING);
    await().atMost(WAIT).until(() -> !TestProcesses.alive(step));
    assertThat(run(a).status())
        .as("its end does not undo the cancel")
        .isEqualTo(RunStatus.CANCELED);
    release("b");
    awaitStatus(b, RunStatus.SUCCEEDED);
  }

  @Test
  void skipEndsTheNewRunAtOnceAsSkippedWithTheReason() throws Exception {
    CamelContext caravan = caravan("concurrencyLimit=1&onConflict=skip");
    String a = publish(caravan, "a", 1);
    awaitStatus(a, RunStatus.RUNNING);

    String b = publish(caravan, "b", 1);

    awaitStatus(b, RunStatus.SKIPPED);
    assertThat(run(b).summary())
        .isEqualTo(
            "Skipped: concurrency group pipe already has 1 of 1 runs in flight"
                + " (onConflict=skip)");
    assertThat(run(b).ended()).isNotNull();
    release("a");
    awaitStatus(a, RunStatus.SUCCEEDED);
    String c = publish(caravan, "c", 1);
    release("c");
    awaitStatus(c, RunStatus.SUCCEEDED);
    assertThat(started()).containsExactly("a", "c");
  }

  @Test
  void aQueuedRunCanceledNeverStartsAndTheNextOneStillDoes() throws Exception {
    CamelContext caravan = caravan("concurrencyLimit=1");
    String a = publish(caravan, "a", 1);
    awaitStatus(a, RunStatus.RUNNING);
    String b = publish(caravan, "b", 1);
    String c = publish(caravan, "c", 1);
    awaitStatus(c, RunStatus.QUEUED);

    assertThat(Runs.of(caravan).cancel(b)).isPresent();

    assertThat(run(b).status()).isEqualTo(RunStatus.CANCELED);
    release("a");
    awaitStatus(c, RunStatus.RUNNING);
    release("c");
    awaitStatus(c, RunStatus.SUCCEEDED);
    assertThat(started()).containsExactly("a", "c");
  }

  @Test
  void cancelingTheRunningRunStartsTheNextQueuedOne() throws Exception {
    CamelContext caravan = caravan("concurrencyLimit=1");
    String a = publish(caravan, "a", 1);
    awaitStatus(a, RunStatus.RUNNING);
    String b = publish(caravan, "b", 1);
    awaitStatus(b, RunStatus.QUEUED);

    assertThat(Runs.of(caravan).cancel(a)).isPresent();

    awaitStatus(b, RunStatus.RUNNING);
    assertThat(run(a).status()).isEqualTo(RunStatus.CANCELED);
    release("b");
    awaitStatus(b, RunStatus.SUCCEEDED);
  }

  @Test
  void aQueuedRunWaitsAcrossARestartAndStartsWhenTheRunningOneEnds() throws Exception {
    CamelContext first = caravan("concurrencyLimit=1");
    String a = publish(first, "a", 1);
    awaitStatus(a, RunStatus.RUNNING);
    String b = publish(first, "b", 1);
    awaitStatus(b, RunStatus.QUEUED);
    first.stop();
    caravans.remove(first);

    CamelContext second = caravan("concurrencyLimit=1");

    await().atMost(WAIT).until(() -> started().size() == 2);
    assertThat(started()).as("a is resumed, b still waits").containsExactly("a", "a");
    assertThat(run(b).status()).isEqualTo(RunStatus.QUEUED);
    release("a");
    awaitStatus(b, RunStatus.RUNNING);
    release("b");
    awaitStatus(b, RunStatus.SUCCEEDED);
    assertThat(second.isStarted()).isTrue();
  }

  @Test
  void twoCaravansOnOneStoreKeepTheLimitAndTheOrderOfAGroup() throws Exception {
    CamelContext one = caravan("concurrencyLimit=1");
    CamelContext two = caravan("concurrencyLimit=1");
    List<String> ids = List.of("a", "b", "c", "d", "e", "f");
    List<String> runIds = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      runIds.add(publish(i % 2 == 0 ? one : two, ids.get(i), 1));
    }

    for (int i = 0; i < ids.size(); i++) {
      String runId = runIds.get(i);
      awaitStatus(runId, RunStatus.RUNNING);
      // while one runs, every later run of the group waits, whichever Caravan took it
      for (String later : runIds.subList(i + 1, runIds.size())) {
        assertThat(run(later).status()).as(later).isIn(RunStatus.PENDING, RunStatus.QUEUED);
      }
      release(ids.get(i));
      awaitStatus(runId, RunStatus.SUCCEEDED);
    }
    assertThat(started()).containsExactlyElementsOf(ids);
  }

  @Test
  void takesRacingOnOneStoreStartNoMoreRunsOfAGroupThanItsLimit() throws Exception {
    RunStores store = new RunStores(dataSource);
    store.events.subscribe(new Subscription("pipe", "test", List.of(), null));
    int racers = 16;
    for (int i = 0; i < racers; i++) {
      store.events.append(
          new Event("race-" + i, "test", "go", null, Instant.now(), Map.of(), "{}"));
    }
    ConcurrencyGroups groups = ConcurrencyGroups.perPipeline(2, ConcurrencyGroups.OnConflict.QUEUE);
    ExecutorService threads = Executors.newFixedThreadPool(racers);
    CountDownLatch ready = new CountDownLatch(racers);
    List<Future<List<Delivery>>> takes = new ArrayList<>();
    try {
      for (int i = 0; i < racers; i++) {
        // each racer a Caravan of its own on the store
        RunStores racer = new RunStores(dataSource);
        takes.add(
            threads.submit(
                () -> {
                  ready.countDown();
                  ready.await();
                  return racer.events.take("pipe", 1, groups);
                }));
      }
      int started = 0;
      for (Future<List<Delivery>> take : takes) {
        started += take.get().size();
      }
      assertThat(started).isEqualTo(2);
    } finally {
      threads.shutdownNow();
    }
    assertThat(store.runs.runs("pipe", RunStatus.RUNNING, null, 100, 0)).hasSize(2);
    assertThat(store.runs.runs("pipe", RunStatus.QUEUED, null, 100, 0)).hasSize(racers - 2);
  }

  @Test
  void aKeyTooLongForTheStoreFailsTheRunNamingTheOption() throws Exception {
    CamelContext caravan = caravan("concurrencyKey=${body[pr]}${body[pr]}&concurrencyLimit=1");
    String huge = "9".repeat(600);
    published.incrementAndGet();
    caravan
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:test",
            "{\"pr\": \"" + huge + "\"}",
            Map.of(EventConstants.EVENT_ID, "long", EventConstants.EVENT_TYPE, "go"));
    String runId = runs().runs("pipe", null, "long", 10, 0).get(0).id();

    awaitStatus(runId, RunStatus.FAILED);
    assertThat(run(runId).summary())
        .startsWith("concurrencyKey ${body[pr]}${body[pr]} gave 1200 characters");
    assertThat(started()).isEmpty();
  }
}
