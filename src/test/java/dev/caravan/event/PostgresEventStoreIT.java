package dev.caravan.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.caravan.kjob.KjobConstants;
import dev.caravan.store.Database;
import dev.caravan.store.StoreHealth;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link JdbcEventStore} against a real PostgreSQL ({@link PostgresServer}, started once per
 * class). Every test gets its own database, migrated from scratch.
 */
class PostgresEventStoreIT {

  @RegisterExtension static final PostgresServer postgres = new PostgresServer("caravan");

  private DataSource dataSource;
  private JdbcEventStore store;

  @BeforeEach
  void freshMigratedDatabase() throws SQLException {
    dataSource = postgres.freshDatabase();
    store = new JdbcEventStore(Database.on(dataSource, new StoreHealth()), DeliveryHandler.NONE);
  }

  private static Event event(String id, String type, String subject) {
    return new Event(
        id,
        "github",
        type,
        subject,
        Instant.parse("2025-03-04T05:06:07.123456Z"),
        Map.of("ref", "refs/heads/main", "commit", "abc123"),
        "{\"n\":1,\"pull_request\":{\"title\":\"Ünïcode ✓\"}}");
  }

  private static Event push(String id) {
    return event(id, "push", "octo/repo");
  }

  private static List<String> ids(List<Delivery> deliveries) {
    return deliveries.stream().map(d -> d.event().id()).toList();
  }

  private long count(String sql) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  @Test
  void migrateIsIdempotentAndRecordsEveryVersionInItsOwnHistoryTable() throws SQLException {
    Database.on(dataSource, new StoreHealth());
    Database.on(dataSource, new StoreHealth());

    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT version, success FROM caravan_schema_history"
                    + " WHERE version IS NOT NULL ORDER BY installed_rank")) {
      List<String> applied = new ArrayList<>();
      while (rows.next()) {
        assertThat(rows.getBoolean("success")).isTrue();
        applied.add(rows.getString("version"));
      }
      assertThat(applied).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
    }
    assertThat(count("SELECT count(*) FROM caravan_event")).isZero();
    assertThat(store.append(push("after-remigrate"))).isTrue();
  }

  @Test
  void replicasStartingTogetherOnAnEmptyDatabaseAllMigrateIt() throws Exception {
    // the race this guards against was lost about once in eight rounds of three
    for (int round = 0; round < 16; round++) {
      DataSource empty = postgres.freshDatabase();
      List<Boolean> migrated =
          race(
              3,
              n -> {
                Database.on(empty, new StoreHealth());
                return true;
              });
      assertThat(migrated).as("round %d", round).containsOnly(true);
    }
  }

  @Test
  void appendedEventIsFoundWithEveryAttributeIntact() {
    Event event = event("e-1", "pull_request:opened", "octo/repo");

    assertThat(store.append(event)).isTrue();

    Event found = store.find("e-1").orElseThrow();
    assertThat(found).isEqualTo(event);
    assertThat(found.time()).isEqualTo(Instant.parse("2025-03-04T05:06:07.123456Z"));
    assertThat(found.labels()).containsExactlyInAnyOrderEntriesOf(event.labels());
    assertThat(found.data()).isEqualTo(event.data());
  }

  @Test
  void eventWithoutSubjectLabelsOrDataRoundTrips() {
    Event bare = new Event("bare", "cron", "tick", null, Instant.now(), null, null);

    assertThat(store.append(bare)).isTrue();

    Event found = store.find("bare").orElseThrow();
    assertThat(found.subject()).isNull();
    assertThat(found.labels()).isEmpty();
    assertThat(found.data()).isNull();
    assertThat(found.time()).isCloseTo(bare.time(), within(1, ChronoUnit.MICROS));
    assertThat(store.find("unknown")).isEmpty();
  }

  @Test
  void appendingTheSameIdAgainReturnsFalseAndChangesNothing() throws SQLException {
    store.subscribe(new Subscription("early", "github", List.of(), null));
    Event original = push("dup");
    assertThat(store.append(original)).isTrue();
    store.subscribe(new Subscription("late", "*", List.of(), null));

    Event redelivered =
        new Event("dup", "github", "push", "other/repo", Instant.now(), Map.of(), "{\"n\":2}");
    assertThat(store.append(redelivered)).isFalse();

    assertThat(store.find("dup")).contains(original);
    assertThat(ids(store.waiting("early", 10))).containsExactly("dup");
    assertThat(store.waiting("late", 10)).isEmpty();
    assertThat(count("SELECT count(*) FROM caravan_event")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM caravan_delivery")).isEqualTo(1);
    // the connection used by the refused insert is healthy again
    assertThat(store.append(push("next"))).isTrue();
  }

  @Test
  void pendingDeliveriesGoToMatchingSubscriptionsRegisteredBeforeTheAppendOldestFirst() {
    store.subscribe(new Subscription("pushes", "github", List.of("push"), null));
    store.subscribe(new Subscription("prs", "github", List.of("pull_request:*"), "octo/*"));
    store.subscribe(new Subscription("gitlab", "gitlab", List.of(), null));
    store.append(push("p-1"));
    store.subscribe(new Subscription("all", "*", List.of(), null));

    store.append(push("p-2"));
    store.append(event("p-3", "pull_request:opened", "octo/repo"));
    store.append(event("p-4", "pull_request:closed", "other/repo"));
    store.append(push("p-5"));

    assertThat(ids(store.waiting("pushes", 10))).containsExactly("p-1", "p-2", "p-5");
    assertThat(ids(store.waiting("pushes", 2))).containsExactly("p-1", "p-2");
    assertThat(ids(store.waiting("prs", 10))).containsExactly("p-3");
    assertThat(ids(store.waiting("all", 10))).containsExactly("p-2", "p-3", "p-4", "p-5");
    assertThat(store.waiting("gitlab", 10)).isEmpty();
    assertThat(store.waiting("nobody", 10)).isEmpty();
    Delivery first = store.waiting("pushes", 1).get(0);
    assertThat(first.subscriber()).isEqualTo("pushes");
    assertThat(first.id()).isNotBlank();
    assertThat(first.event()).isEqualTo(push("p-1"));
  }

  @Test
  void aDeliveryIsTakenOnceAndThenNoLongerWaiting() {
    store.subscribe(new Subscription("pushes", "github", List.of("push"), null));
    store.append(push("c-1"));
    store.append(push("c-2"));

    assertThat(ids(store.take("pushes", 1))).containsExactly("c-1");

    assertThat(ids(store.waiting("pushes", 10))).containsExactly("c-2");
    assertThat(ids(store.take("pushes", 10))).containsExactly("c-2");
    assertThat(store.take("pushes", 10)).isEmpty();
    assertThat(store.take("missing", 10)).isEmpty();
  }

  @Test
  void concurrentClaimsOfOneDeliveryHaveExactlyOneWinner() throws Exception {
    store.subscribe(new Subscription("pushes", "github", List.of("push"), null));
    store.append(push("race"));

    List<Boolean> results = race(20, n -> !store.take("pushes", 1).isEmpty());

    assertThat(results).containsOnlyOnce(true).hasSize(20);
    assertThat(store.waiting("pushes", 10)).isEmpty();
  }

  @Test
  void aTakeSkipsTheDeliveriesAnotherReplicasTakeHoldsInsteadOfWaitingForThem() throws Exception {
    store.subscribe(new Subscription("pushes", "github", List.of("push"), null));
    store.append(push("held"));
    store.append(push("free"));
    ExecutorService taker = Executors.newSingleThreadExecutor();
    try (Connection otherReplica = dataSource.getConnection()) {
      otherReplica.setAutoCommit(false);
      try (Statement lock = otherReplica.createStatement()) {
        // what another replica's take holds until it commits: the oldest delivery's row
        lock.executeQuery(
                "SELECT id FROM caravan_delivery WHERE subscriber = 'pushes' ORDER BY seq LIMIT 1"
                    + " FOR UPDATE")
            .close();
      }

      Future<List<Delivery>> taken = taker.submit(() -> store.take("pushes", 2));

      assertThat(ids(taken.get(10, TimeUnit.SECONDS))).containsExactly("free");
      otherReplica.rollback();
    } finally {
      taker.shutdownNow();
    }
    // the other replica's take was undone: the delivery it held is there to take
    assertThat(ids(store.take("pushes", 2))).containsExactly("held");
  }

  @Test
  void aDeliveryQueuedByOneReplicaWakesTheConsumerOfAnotherAtOnce() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    Database database = Database.on(dataSource, new StoreHealth());
    TakesSeen takes = new TakesSeen(database);
    // a poll far longer than the waits below: only a notification can make the consumer look again
    CamelContext consuming = replica(60_000);
    consuming.getComponent("event", EventComponent.class).setDatabase(database);
    consuming.getComponent("event", EventComponent.class).setStore(takes);
    consuming.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:github?types=push")
                .routeId("pushes")
                .process(
                    e ->
                        received.add(
                            e.getMessage().getHeader(EventConstants.EVENT_ID, String.class)));
          }
        });
    CamelContext publishing = replica(60_000);
    consuming.start();
    publishing.start();
    try {
      // the consumer looks at the store when it starts, and again after each delivery
      await().atMost(Duration.ofSeconds(10)).until(() -> takes.emptyTakes() > 0);

      publish(publishing, "woken");

      await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("woken"));
    } finally {
      publishing.stop();
      consuming.stop();
    }
  }

  private static void publish(CamelContext replica, String eventId) {
    replica
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:github",
            "{}",
            Map.of(EventConstants.EVENT_ID, eventId, EventConstants.EVENT_TYPE, "push"));
  }

  /** The store of a replica, counting the takes that found nothing. */
  private static final class TakesSeen extends JdbcEventStore {

    private final AtomicInteger empty = new AtomicInteger();

    TakesSeen(Database database) {
      super(database, DeliveryHandler.NONE);
    }

    @Override
    public List<Delivery> take(String subscriber, int limit, ConcurrencyGroups groups) {
      List<Delivery> taken = super.take(subscriber, limit, groups);
      if (taken.isEmpty()) {
        empty.incrementAndGet();
      }
      return taken;
    }

    int emptyTakes() {
      return empty.get();
    }
  }

  /** A Caravan of its own on this test's database (as another replica would be). */
  private CamelContext replica(long pollInterval) {
    CamelContext context = new DefaultCamelContext();
    EventComponent events = new EventComponent();
    events.setDataSource(dataSource);
    events.setPollInterval(pollInterval);
    context.addComponent("event", events);
    return context;
  }

  @Test
  void fiftyConcurrentAppendsOfOneIdStoreItOnceWithOneDeliveryPerSubscriber() throws Exception {
    store.subscribe(new Subscription("pushes", "github", List.of("push"), null));
    store.subscribe(new Subscription("all", "*", List.of(), null));
    store.subscribe(new Subscription("prs", "github", List.of("pull_request:*"), null));

    List<Boolean> results =
        race(
            50,
            n ->
                store.append(
                    new Event(
                        "same", "github", "push", "octo/repo", Instant.now(), Map.of(), null)));

    assertThat(results).hasSize(50).containsOnlyOnce(true);
    assertThat(ids(store.waiting("pushes", 10))).containsExactly("same");
    assertThat(ids(store.waiting("all", 10))).containsExactly("same");
    assertThat(store.waiting("prs", 10)).isEmpty();
    assertThat(count("SELECT count(*) FROM caravan_event")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM caravan_delivery")).isEqualTo(2);
  }

  @Test
  void subscribingAgainWithAnotherFilterReplacesTheFilter() {
    store.subscribe(new Subscription("checks", "github", List.of("push"), null));
    store.subscribe(new Subscription("other", "gitlab", List.of(), null));

    store.subscribe(
        new Subscription("checks", "*", List.of("pull_request:opened", "issue:*"), "octo/*"));

    assertThat(store.subscriptions())
        .containsExactlyInAnyOrder(
            new Subscription("checks", "*", List.of("pull_request:opened", "issue:*"), "octo/*"),
            new Subscription("other", "gitlab", List.of(), null));
    store.append(push("s-1"));
    store.append(event("s-2", "pull_request:opened", "octo/repo"));
    store.append(event("s-3", "pull_request:opened", "other/repo"));
    assertThat(ids(store.waiting("checks", 10))).containsExactly("s-2");
  }

  @Test
  void routeOnPostgresReceivesAPublishedEventOfItsType() throws Exception {
    List<Exchange> received = new CopyOnWriteArrayList<>();
    CamelContext context = new DefaultCamelContext();
    EventComponent events = new EventComponent();
    events.setDataSource(dataSource);
    events.setPollInterval(200);
    context.addComponent("event", events);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:github?types=push").routeId("pushes").process(received::add);
          }
        });
    context.start();
    try {
      var producer = context.createProducerTemplate();
      producer.sendBodyAndHeaders(
          "event:github",
          "{\"action\":\"opened\"}",
          Map.of(EventConstants.EVENT_ID, "pr-1", EventConstants.EVENT_TYPE, "pull_request"));
      Exchange published =
          producer.request(
              "event:github",
              e -> {
                e.getMessage().setHeader(EventConstants.EVENT_ID, "push-1");
                e.getMessage().setHeader(EventConstants.EVENT_TYPE, "push");
                e.getMessage().setHeader(EventConstants.EVENT_LABELS, Map.of("ref", "main"));
                e.getMessage().setBody("{\"n\": 1}");
              });
      assertThat(published.getException()).isNull();
      assertThat(published.getMessage().getHeader(EventConstants.EVENT_DUPLICATE)).isEqualTo(false);

      await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
      Exchange run = received.get(0);
      assertThat(run.getMessage().getHeaders())
          .containsEntry(EventConstants.EVENT_ID, "push-1")
          .containsEntry(EventConstants.EVENT_SOURCE, "github")
          .containsEntry(EventConstants.EVENT_TYPE, "push")
          .containsEntry(EventConstants.EVENT_LABELS, Map.of("ref", "main"))
          .containsKey(KjobConstants.RUN_ID);
      assertThat(run.getMessage().getBody(Map.class)).containsEntry("n", 1);
      // the pull_request event was stored, but no delivery to this pipeline was ever created
      assertThat(events.getStore().find("pr-1")).isPresent();
      assertThat(count("SELECT count(*) FROM caravan_run WHERE event_id = 'pr-1'")).isZero();
      assertThat(events.getStore().waiting("pushes", 10)).isEmpty();
    } finally {
      context.stop();
    }
  }

  /** Runs the work on that many threads released at once; returns each thread's result. */
  private static <T> List<T> race(int threads, RaceWork<T> work) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int n = i;
        Callable<T> task =
            () -> {
              ready.countDown();
              start.await();
              return work.run(n);
            };
        futures.add(executor.submit(task));
      }
      assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        results.add(future.get(30, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      executor.shutdownNow();
    }
  }

  @FunctionalInterface
  private interface RaceWork<T> {
    T run(int n) throws Exception;
  }
}
