package dev.caravan.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.caravan.TestGit;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.local.LocalStepExecutor;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.Runs;
import dev.caravan.store.Database;
import dev.caravan.store.StoreHealth;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.StatefulService;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventComponentTest {

  @TempDir Path dir;

  private final List<CamelContext> contexts = new CopyOnWriteArrayList<>();
  private final List<Exchange> received = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopAll() {
    contexts.forEach(CamelContext::stop);
  }

  /** A Camel context on the test's H2 file database, with the given routes. */
  private CamelContext camel(RouteBuilder routes) throws Exception {
    CamelContext context = new DefaultCamelContext();
    contexts.add(context);
    camelWith(context, routes);
    return context;
  }

  private RouteBuilder pipeline(String id, String uri) {
    return new RouteBuilder() {
      @Override
      public void configure() {
        from(uri).routeId(id).process(received::add);
      }
    };
  }

  private static Exchange publish(
      CamelContext context, String source, Map<String, Object> headers) {
    return context
        .createProducerTemplate()
        .request(
            "event:" + source,
            e -> {
              e.getMessage().setHeaders(new HashMap<>(headers));
              e.getMessage().setBody("{\"n\": 1, \"pull_request\": {\"title\": \"T\"}}");
            });
  }

  private static Map<String, Object> pr(String id) {
    return Map.of(
        EventConstants.EVENT_ID,
        id,
        EventConstants.EVENT_TYPE,
        "pull_request:opened",
        EventConstants.EVENT_SUBJECT,
        "octo/repo",
        EventConstants.EVENT_LABELS,
        Map.of("ref", "main"));
  }

  @Test
  void publishedEventIsStoredAndDeliveredAsOneRunWithItsAttributes() throws Exception {
    CamelContext context = camel(pipeline("checks", "event:github?types=pull_request:*"));

    Exchange published = publish(context, "github", pr("d-1"));

    assertThat(published.getException()).isNull();
    assertThat(published.getMessage().getHeader(EventConstants.EVENT_ID)).isEqualTo("d-1");
    assertThat(published.getMessage().getHeader(EventConstants.EVENT_DUPLICATE)).isEqualTo(false);
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    Exchange run = received.get(0);
    assertThat(run.getMessage().getBody(Map.class)).containsEntry("n", 1);
    assertThat(run.getMessage().getHeaders())
        .containsEntry(EventConstants.EVENT_ID, "d-1")
        .containsEntry(EventConstants.EVENT_SOURCE, "github")
        .containsEntry(EventConstants.EVENT_TYPE, "pull_request:opened")
        .containsEntry(EventConstants.EVENT_SUBJECT, "octo/repo")
        .containsEntry(EventConstants.EVENT_LABELS, Map.of("ref", "main"))
        .containsKey(KjobConstants.RUN_ID);
    assertThat(run.getMessage().getHeader(EventConstants.EVENT, String.class))
        .contains("\"specversion\":\"1.0\"", "\"id\":\"d-1\"", "\"data\":{\"n\": 1");
  }

  @Test
  void simpleExpressionsNavigateTheEventData() throws Exception {
    CamelContext context =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                from("event:github")
                    .routeId("title")
                    .setBody(simple("${body[pull_request][title]}"))
                    .process(received::add);
              }
            });

    publish(context, "github", pr("d-1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    assertThat(received.get(0).getMessage().getBody()).isEqualTo("T");
  }

  @Test
  void redeliveryOfTheSameIdIsADuplicateAndStartsNoRun() throws Exception {
    CamelContext context = camel(pipeline("checks", "event:github"));

    publish(context, "github", pr("d-1"));
    Exchange again = publish(context, "github", pr("d-1"));

    assertThat(again.getMessage().getHeader(EventConstants.EVENT_DUPLICATE)).isEqualTo(true);
    // d-1's run first: runs start on a pool, so two deliveries in flight may start in either order
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    publish(context, "github", pr("d-2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    assertThat(received)
        .extracting(e -> e.getMessage().getHeader(EventConstants.EVENT_ID))
        .containsExactly("d-1", "d-2");
  }

  @Test
  void oneEventFansOutToEveryMatchingPipelineOnly() throws Exception {
    CamelContext context =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                from("event:github?types=pull_request:opened").routeId("a").process(received::add);
                from("event:*?subject=octo/*").routeId("b").process(received::add);
                from("event:github?types=push").routeId("c").process(received::add);
              }
            });

    publish(context, "github", pr("d-1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    assertThat(received).extracting(e -> e.getFromRouteId()).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void threePipelinesWithTheSameUriEachGetEveryMatchingEventOnce() throws Exception {
    CamelContext context =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                for (String id : List.of("first", "second", "third")) {
                  from("event:github?types=pull_request:*").routeId(id).process(received::add);
                }
              }
            });

    publish(context, "github", pr("p-1"));
    publish(context, "github", pr("p-2"));

    JdbcRunStore runs = Runs.of(context).store();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> runs.runs(null, null, null, 100, 0),
            all -> all.size() == 6 && all.stream().allMatch(run -> run.status().isFinal()));
    assertThat(received)
        .extracting(
            e -> e.getFromRouteId() + " " + e.getMessage().getHeader(EventConstants.EVENT_ID))
        .containsExactlyInAnyOrder(
            "first p-1", "second p-1", "third p-1", "first p-2", "second p-2", "third p-2");
  }

  @Test
  void aRemovedPipelineStopsCollectingDeliveriesAndKeepsWhatWaitsUntilItReturns() throws Exception {
    CamelContext context =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                from("event:github").routeId("kept").process(received::add);
                from("event:github").routeId("gone").process(received::add);
              }
            });
    EventStore store = context.getComponent("event", EventComponent.class).getStore();
    context.getRouteController().stopRoute("gone");
    publish(context, "github", pr("while-stopped"));
    context.removeRoute("gone");

    publish(context, "github", pr("after-removal"));

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    assertThat(store.subscriptions())
        .extracting(sub -> sub.subscriber() + " " + sub.active())
        .containsExactly("gone false", "kept true");
    assertThat(store.waiting("gone", 10))
        .extracting(delivery -> delivery.event().id())
        .containsExactly("while-stopped");

    context.addRoutes(pipeline("gone", "event:github"));

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
    assertThat(received)
        .extracting(
            e -> e.getFromRouteId() + " " + e.getMessage().getHeader(EventConstants.EVENT_ID))
        .containsExactlyInAnyOrder(
            "kept while-stopped", "kept after-removal", "gone while-stopped");
    assertThat(store.subscriptions()).allMatch(Subscription::active);
  }

  @Test
  void aStopWaitsForTheLookAtTheStoreInProgressSoALaterEventWaitsInTheStore() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch looking = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Database database =
        Database.open(H2EventComponents.fileUrl(dir, "db"), "sa", "", new StoreHealth());
    JdbcEventStore held =
        new JdbcEventStore(database, DeliveryHandler.NONE) {
          @Override
          public List<Delivery> take(String subscriber, int limit, ConcurrencyGroups groups) {
            looking.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            List<Delivery> taken = super.take(subscriber, limit, groups);
            order.add("look ended");
            return taken;
          }
        };
    CamelContext context = new DefaultCamelContext();
    contexts.add(context);
    EventComponent events = H2EventComponents.onFile(dir, "db");
    events.setDatabase(database);
    events.setStore(held);
    context.addComponent("event", events);
    context.addRoutes(pipeline("checks", "event:github"));
    context.start();
    assertThat(looking.await(10, TimeUnit.SECONDS)).isTrue();

    Thread stopping =
        new Thread(
            () -> {
              try {
                context.getRouteController().stopRoute("checks");
                order.add("stop returned");
              } catch (Exception e) {
                order.add("stop failed: " + e);
              }
            });
    stopping.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !((StatefulService) context.getRoute("checks").getConsumer()).isStarted());
    release.countDown();
    stopping.join(Duration.ofSeconds(20).toMillis());
    publish(context, "github", pr("after-stop"));

    assertThat(order).containsExactly("look ended", "stop returned");
    assertThat(held.waiting("checks", 10))
        .extracting(delivery -> delivery.event().id())
        .containsExactly("after-stop");
    context.stop();
    database.close();
  }

  @Test
  void eventStoredWhileTheSubscriberIsStoppedIsDeliveredWhenItStarts() throws Exception {
    CamelContext context = camel(pipeline("checks", "event:github"));
    context.getRouteController().stopRoute("checks");

    publish(context, "github", pr("d-1"));
    assertThat(received).isEmpty();
    context.getRouteController().startRoute("checks");

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
  }

  @Test
  void aRunInterruptedByAGracefulStopIsResumedAtOnceNotAfterTheLeaseTimeout() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CamelContext first =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                from("event:github")
                    .routeId("checks")
                    .process(
                        exchange -> {
                          started.countDown();
                          // a step that the stop interrupts
                          await()
                              .atMost(Duration.ofSeconds(20))
                              .until(() -> exchange.getContext().isStopping());
                          throw new IllegalStateException("interrupted by the stop");
                        });
              }
            });
    publish(first, "github", pr("d-1"));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    first.stop();

    long restarted = System.nanoTime();
    camel(pipeline("checks", "event:github"));

    await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 1);
    assertThat(Duration.ofNanos(System.nanoTime() - restarted))
        .as("resumed without waiting for the 30 s lease of the stopped instance")
        .isLessThan(Duration.ofSeconds(15));
    assertThat(received.get(0).getMessage().getHeader(EventConstants.EVENT_ID)).isEqualTo("d-1");
  }

  @Test
  void aRunInterruptedByStoppingItsRouteIsResumedWhenTheRouteStartsAgain() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger attempts = new AtomicInteger();
    CamelContext context =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                from("event:github")
                    .routeId("checks")
                    .process(
                        exchange -> {
                          if (attempts.incrementAndGet() == 1) {
                            started.countDown();
                            await()
                                .atMost(Duration.ofSeconds(20))
                                .until(
                                    () ->
                                        ((StatefulService)
                                                exchange
                                                    .getContext()
                                                    .getRoute("checks")
                                                    .getConsumer())
                                            .isStopped());
                            throw new IllegalStateException("interrupted by the route's stop");
                          }
                          received.add(exchange);
                        });
              }
            });
    publish(context, "github", pr("d-1"));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    context.getRouteController().stopRoute("checks");
    context.getRouteController().startRoute("checks");

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    assertThat(received.get(0).getMessage().getHeader(EventConstants.EVENT_ID)).isEqualTo("d-1");
    assertThat(attempts).hasValue(2);
  }

  @Test
  void restartDeliversUndeliveredEventsExactlyOnce() throws Exception {
    // one run at a time, so that the runs also end in the order their events arrived
    CamelContext first = camel(pipeline("checks", "event:github?concurrency=1"));
    first.getRouteController().stopRoute("checks");
    publish(first, "github", pr("d-1"));
    publish(first, "github", pr("d-2"));
    first.stop();

    CamelContext second = camel(pipeline("checks", "event:github?concurrency=1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    second.stop();

    CamelContext third = camel(pipeline("checks", "event:github?concurrency=1"));
    publish(third, "github", pr("d-3"));
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
    assertThat(received)
        .extracting(e -> e.getMessage().getHeader(EventConstants.EVENT_ID))
        .containsExactly("d-1", "d-2", "d-3");
  }

  @Test
  void aRunBlockedInItsFirstProcessorDelaysNoLaterDeliveryOfItsPipeline() throws Exception {
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CamelContext context =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                // the consumer's one dispatcher thread would be the one blocked here if it started
                // the runs itself; the second delivery would then wait for the first run to end
                from("event:github?concurrency=2")
                    .routeId("checks")
                    .process(
                        e -> {
                          if ("blocks".equals(e.getMessage().getHeader(EventConstants.EVENT_ID))) {
                            blocked.countDown();
                            release.await(30, TimeUnit.SECONDS);
                          }
                          received.add(e);
                        });
              }
            });
    publish(context, "github", pr("blocks"));
    assertThat(blocked.await(10, TimeUnit.SECONDS)).isTrue();

    publish(context, "github", pr("next"));

    JdbcRunStore runs = Runs.of(context).store();
    try {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> runs.runs(null, null, null, 100, 0),
              all ->
                  all.stream()
                      .anyMatch(run -> run.eventId().equals("next") && run.status().isFinal()));
      assertThat(runs.runs(null, null, null, 100, 0))
          .extracting(run -> run.eventId() + " " + run.status())
          .containsExactlyInAnyOrder("blocks RUNNING", "next SUCCEEDED");
      assertThat(received)
          .extracting(e -> e.getMessage().getHeader(EventConstants.EVENT_ID))
          .containsExactly("next");
    } finally {
      release.countDown();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
  }

  @Test
  void concurrencyBoundsRunsInFlightAndTheRestWaitInTheStore() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CamelContext context =
        camel(
            new RouteBuilder() {
              @Override
              public void configure() {
                from("event:github?concurrency=2")
                    .routeId("slow")
                    .process(
                        e -> {
                          most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                          release.await(10, TimeUnit.SECONDS);
                          inFlight.decrementAndGet();
                          received.add(e);
                        });
              }
            });

    for (int i = 0; i < 6; i++) {
      publish(context, "github", pr("d-" + i));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> inFlight.get() == 2);
    release.countDown();

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 6);
    assertThat(most.get()).isEqualTo(2);
  }

  @Test
  void malformedDataIsRefusedAndNothingIsStored() throws Exception {
    CamelContext context = camel(pipeline("checks", "event:github"));

    Exchange bad =
        context
            .createProducerTemplate()
            .request(
                "event:github",
                e -> {
                  e.getMessage().setHeaders(new HashMap<>(pr("d-bad")));
                  e.getMessage().setBody("{\"unterminated\": ");
                });

    assertThat(bad.getException()).isInstanceOf(InvalidEventException.class);
    EventStore store = context.getComponent("event", EventComponent.class).getStore();
    assertThat(store.find("d-bad")).isEmpty();
  }

  @Test
  void dataIsStoredAndDeliveredAsSentNotAsAParsedCopy() throws Exception {
    CamelContext context = camel(pipeline("checks", "event:github"));
    String sent = "{ \"huge\": 1e999999999, \"price\": 1.10,\n  \"n\": 7 }";

    Exchange published =
        context
            .createProducerTemplate()
            .request(
                "event:github",
                e -> {
                  e.getMessage().setHeaders(new HashMap<>(pr("d-exact")));
                  e.getMessage().setBody(sent);
                });

    assertThat(published.getException()).isNull();
    EventStore store = context.getComponent("event", EventComponent.class).getStore();
    assertThat(store.find("d-exact").orElseThrow().data()).isEqualTo(sent);
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    Map<?, ?> body = received.get(0).getMessage().getBody(Map.class);
    assertThat(body.get("huge")).isEqualTo(new BigDecimal("1e999999999"));
    assertThat(body.get("price")).hasToString("1.10");
    assertThat(received.get(0).getMessage().getHeader(EventConstants.EVENT, String.class))
        .contains("\"data\":" + sent)
        .doesNotContain("Infinity");
  }

  @Test
  void deeplyNestedDataIsRefused() throws Exception {
    CamelContext context = camel(pipeline("checks", "event:github"));

    Exchange bad =
        context
            .createProducerTemplate()
            .request(
                "event:github",
                e -> {
                  e.getMessage().setHeaders(new HashMap<>(pr("d-deep")));
                  e.getMessage().setBody("[".repeat(10_000) + "]".repeat(10_000));
                });

    assertThat(bad.getException())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("nesting");
  }

  @Test
  void anEventWithoutTypeIsRefused() throws Exception {
    CamelContext context = camel(pipeline("checks", "event:github"));

    Exchange bad = publish(context, "github", Map.of(EventConstants.EVENT_ID, "x"));

    assertThat(bad.getException())
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("CaravanEventType");
  }

  @Test
  void aPipelineAddedWhileRunningReceivesEvents() throws Exception {
    CamelContext context = camel(pipeline("first", "event:github?types=push"));
    context.addRoutes(pipeline("later", "event:github?types=pull_request:*"));

    publish(context, "github", pr("d-1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    assertThat(received.get(0).getFromRouteId()).isEqualTo("later");
  }

  @Test
  void aStepChecksOutTheEventsCommitAndTheRunsWorkspaceGoesWhenTheRunEnds() throws Exception {
    Path repo = dir.resolve("repo");
    TestGit.init(repo);
    String sha = TestGit.commit(repo, "f.txt", "checked out\n");
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(dir.resolve("work").toString());
    kjob.setCheckoutAllowedSchemes("file"); // a local repository
    CountDownLatch release = new CountDownLatch(1);
    CamelContext context = new DefaultCamelContext();
    context.addComponent("kjob", kjob);
    contexts.add(context);
    camelWith(
        context,
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:github")
                .routeId("build")
                .to("kjob:build?checkout=true&workspace=true&script=cat f.txt")
                .process(received::add)
                .process(e -> release.await(10, TimeUnit.SECONDS));
          }
        });

    publish(
        context,
        "github",
        Map.of(
            EventConstants.EVENT_ID,
            "push-1",
            EventConstants.EVENT_TYPE,
            "push",
            EventConstants.EVENT_LABELS,
            Map.of("cloneUrl", repo.toString(), "commit", sha, "ref", "refs/heads/x")));

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
    Exchange run = received.get(0);
    assertThat(run.getException()).isNull();
    assertThat(run.getMessage().getBody(String.class)).isEqualTo("checked out\n");
    Path workspace =
        LocalStepExecutor.workspaceDir(
            dir.resolve("work"), run.getMessage().getHeader(KjobConstants.RUN_ID, String.class));
    assertThat(workspace.resolve("source/f.txt")).exists();
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(workspace));
  }

  @Test
  void maxAttemptsBelowOneIsRefusedNamingTheSetting() {
    CamelContext context = new DefaultCamelContext();
    contexts.add(context);
    context.getPropertiesComponent().addInitialProperty("caravan.runs.max-attempts", "0");
    context.addComponent("event", H2EventComponents.onFile(dir, "db"));

    assertThatThrownBy(
            () -> {
              context.addRoutes(pipeline("p", "event:github"));
              context.start();
            })
        .hasStackTraceContaining("Invalid caravan.runs.max-attempts=0");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "concurrencyKey=${body[pr]} | concurrencyKey needs concurrencyLimit",
        "onConflict=skip | onConflict needs concurrencyLimit",
        "concurrencyLimit=-1 | concurrencyLimit must be 0 (no limit) or more",
        "concurrencyLimit=1&onConflict=wait | onConflict must be queue, cancelRunning or skip,"
            + " not 'wait'",
        "concurrencyLimit=1&concurrencyKey=${body[pr] | concurrencyKey is not a Simple expression"
      })
  void badConcurrencyGroupOptionsAreRefusedNamingTheOption(String options, String message) {
    CamelContext context = new DefaultCamelContext();
    contexts.add(context);

    assertThatThrownBy(() -> camelWith(context, pipeline("p", "event:github?" + options)))
        .hasStackTraceContaining("event:github: " + message);
  }

  /** Starts the context with an event component on the test's H2 file database. */
  private void camelWith(CamelContext context, RouteBuilder routes) throws Exception {
    EventComponent events = H2EventComponents.onFile(dir, "db");
    events.setPollInterval(200);
    context.addComponent("event", events);
    context.addRoutes(routes);
    context.start();
  }
}
