package dev.caravan.run;

import static dev.caravan.store.Jdbc.utc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.EventStore;
import dev.caravan.event.H2EventComponents;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.store.Database;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.util.ObjectHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retention service as every runtime gets it: a plain CamelContext, no wiring but the {@code
 * caravan.retention.*} properties (the {@link RetentionPlugin} adds the service), the event
 * component on an H2 file, local kjob steps.
 */
class RetentionServiceTest {

  @TempDir Path dir;

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private CamelContext camel;
  private Path go;

  @BeforeEach
  void countMeters() {
    Metrics.addRegistry(meters);
  }

  @AfterEach
  void stop() throws Exception {
    release();
    if (camel != null) {
      camel.stop();
    }
    Metrics.removeRegistry(meters);
  }

  private void release() throws Exception {
    if (go != null && !Files.exists(go)) {
      Files.createFile(go);
    }
  }

  private CamelContext caravan(Map<String, String> settings) throws Exception {
    go = dir.resolve("go");
    CamelContext context = new DefaultCamelContext();
    Properties properties = new Properties();
    properties.putAll(settings);
    context.getPropertiesComponent().setInitialProperties(properties);
    context.addComponent("event", H2EventComponents.onFile(dir, "caravan"));
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(dir.resolve("work").toString());
    context.addComponent("kjob", kjob);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            // the step of the event "in-flight" runs until the file "go" exists
            from("event:test?types=go")
                .routeId("pipe")
                .to(
                    "kjob:say?script=RAW(if [ \"$CARAVAN_EVENT_ID\" = in-flight ]; then while [ !"
                        + " -f \"$GO\" ]; do sleep 0.05; done; fi; echo hi)&env.GO="
                        + go);
          }
        });
    return context;
  }

  private void publish(String uri, String id) {
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            uri, "{}", Map.of(EventConstants.EVENT_ID, id, EventConstants.EVENT_TYPE, "go"));
  }

  private double deleted(String kind) {
    return meters.get(RetentionService.METRIC).tag("kind", kind).counter().count();
  }

  @Test
  void deletesOnItsNamedThreadWhatThePropertiesSayAndCountsItByKind() throws Exception {
    camel =
        caravan(
            Map.of(
                "caravan.retention.interval", "200ms",
                "caravan.retention.max-runs-per-pipeline", "2",
                "caravan.retention.batch-size", "2"));
    camel.start();
    RetentionService service = camel.hasService(RetentionService.class);
    assertThat(service).as("added by the plugin").isNotNull();
    assertThat(service.getPolicy())
        .isEqualTo(
            new RetentionPolicy(true, Duration.ofDays(30), 2, 100_000, Duration.ofMillis(200), 2));

    // an event no pipeline subscribed to, received long ago: the age limit takes it
    publish("event:other", "old");
    EventStore store = camel.getComponent("event", EventComponent.class).getStore();
    age(Database.find(camel), "UPDATE caravan_event SET received_at = ? WHERE id = ?", "old");
    publish("event:test", "in-flight");
    for (int i = 0; i < 5; i++) {
      publish("event:test", "done-" + i);
    }
    JdbcRunStore runs = new JdbcRunStore(Database.find(camel).dataSource());

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(store.find("old")).isEmpty();
              assertThat(runs.runs("pipe", null, null, 100, 0))
                  .extracting(run -> run.eventId() + " " + run.status())
                  .containsExactlyInAnyOrder(
                      "in-flight RUNNING", "done-3 SUCCEEDED", "done-4 SUCCEEDED");
            });
    assertThat(deleted("runs")).isEqualTo(3);
    assertThat(deleted("steps")).as("one step per deleted run").isEqualTo(3);
    assertThat(deleted("logs")).as("the log chunks of the deleted steps").isPositive();
    assertThat(deleted("events")).isEqualTo(1);
    assertThat(Thread.getAllStackTraces().keySet())
        .extracting(Thread::getName)
        .anyMatch(name -> name.contains("caravan-retention"));

    // once the blocked run has ended, it is the oldest ended run and goes
    release();
    await().atMost(Duration.ofSeconds(20)).until(() -> deleted("runs") == 4);
    assertThat(runs.runs("pipe", null, null, 100, 0))
        .extracting(RunView::eventId)
        .containsExactlyInAnyOrder("done-3", "done-4");
    assertThat(deleted("steps")).isEqualTo(4);
    assertThat(deleted("events")).isEqualTo(1);
  }

  @Test
  void deletesNothingWhenSwitchedOff() throws Exception {
    camel =
        caravan(
            Map.of(
                "caravan.retention.enabled", "false",
                "caravan.retention.interval", "100ms",
                "caravan.retention.max-runs-per-pipeline", "1"));
    camel.start();
    for (int i = 0; i < 3; i++) {
      publish("event:test", "kept-" + i);
    }
    JdbcRunStore runs = new JdbcRunStore(Database.find(camel).dataSource());
    await().atMost(Duration.ofSeconds(20)).until(() -> ended(runs) == 3);

    assertThat(camel.hasService(RetentionService.class).sweep())
        .isEqualTo(JdbcRetention.Removed.NONE);
    assertThat(runs.runs("pipe", null, null, 10, 0)).hasSize(3);
    assertThat(Thread.getAllStackTraces().keySet())
        .extracting(Thread::getName)
        .noneMatch(name -> name.contains("caravan-retention"));
  }

  @Test
  void aBadSettingStopsTheStartNamingTheKey() throws Exception {
    camel = caravan(Map.of("caravan.retention.max-age", "30"));

    assertThatThrownBy(camel::start)
        .satisfies(
            e ->
                assertThat(ObjectHelper.getException(IllegalArgumentException.class, e))
                    .hasMessage(
                        "Invalid caravan.retention.max-age=30: expected a duration such as 30d,"
                            + " 12h, 1m or 500ms"));
  }

  private static int ended(JdbcRunStore runs) {
    List<RunView> all = runs.runs("pipe", null, null, 100, 0);
    return (int) all.stream().filter(run -> run.status().isFinal()).count();
  }

  private static void age(Database store, String update, String id) {
    store
        .jdbc()
        .inTransaction(
            connection -> {
              try (PreparedStatement statement = connection.prepareStatement(update)) {
                statement.setObject(1, utc(Instant.now().minus(Duration.ofDays(31))));
                statement.setString(2, id);
                assertThat(statement.executeUpdate()).isEqualTo(1);
              }
              return null;
            });
  }
}
