package dev.caravan.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.TestProcesses;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.H2EventComponents;
import dev.caravan.kjob.KjobComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run interrupted while a local step runs completes after a restart, without re-running. */
class LocalRunsResumeTest {

  @TempDir Path dir;

  private CamelContext context;

  @AfterEach
  void stop() {
    if (context != null) {
      context.stop();
    }
  }

  private String jdbcUrl() {
    return H2EventComponents.fileUrl(dir, "db");
  }

  private CamelContext caravan() throws Exception {
    CamelContext camel = new DefaultCamelContext();
    EventComponent events = H2EventComponents.at(jdbcUrl());
    events.setPollInterval(200);
    camel.addComponent("event", events);
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(dir.resolve("work").toString());
    camel.addComponent("kjob", kjob);
    String counts = "&env.COUNTS=" + dir;
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:test?types=go")
                .routeId("pipe")
                .to("kjob:a?script=echo a >> \"$COUNTS/a\"" + counts)
                // the first b blocks until it is killed; the resumed one finishes at once
                .to(
                    "kjob:b?script=echo b >> \"$COUNTS/b\"; if [ $(wc -l < \"$COUNTS/b\") -eq 1 ];"
                        + " then echo $$ > \"$COUNTS/b.pid\"; sleep 300; fi"
                        + counts)
                .to("kjob:c?script=echo c >> \"$COUNTS/c\"" + counts);
            // a step that never gets to its end: each Caravan that runs it stops first
            from("event:test?types=stuck")
                .routeId("stuck")
                .to("kjob:hang?script=echo hang >> \"$COUNTS/hang\"; sleep 300" + counts);
          }
        });
    camel.getPropertiesComponent().addInitialProperty("caravan.runs.lease-timeout", "500ms");
    camel.getShutdownStrategy().setTimeout(1);
    camel.start();
    return camel;
  }

  private JdbcRunStore runs() {
    return new JdbcRunStore(database());
  }

  private JdbcStepJournal journal() {
    return new JdbcStepJournal(database());
  }

  private JdbcDataSource database() {
    JdbcDataSource database = new JdbcDataSource();
    database.setURL(jdbcUrl());
    database.setUser("sa");
    return database;
  }

  private List<String> lines(String file) throws Exception {
    Path path = dir.resolve(file);
    return Files.exists(path) ? Files.readAllLines(path) : List.of();
  }

  @Test
  void runInterruptedInAStepCompletesAfterRestartWithoutRerunningFinishedSteps() throws Exception {
    context = caravan();
    context
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:test",
            "{}",
            Map.of(EventConstants.EVENT_ID, "e-1", EventConstants.EVENT_TYPE, "go"));
    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dir.resolve("b.pid")));
    ProcessHandle firstB =
        TestProcesses.runningOrFail(Long.parseLong(lines("b.pid").get(0).trim()));

    context.stop();

    String runId = runs().runs("pipe", null, "e-1", 10, 0).get(0).id();
    assertThat(runs().run(runId).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    assertThat(TestProcesses.alive(firstB)).as("the interrupted step's process is gone").isFalse();

    context = caravan();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> runs().run(runId).orElseThrow().status() == RunStatus.SUCCEEDED);
    assertThat(lines("a")).as("a ended before the stop: not run again").hasSize(1);
    assertThat(lines("b")).as("b was interrupted: run again").hasSize(2);
    assertThat(lines("c")).hasSize(1);
    assertThat(journal().steps(runId))
        .extracting(
            step -> step.name() + ":" + step.record().attempt() + ":" + step.record().status())
        .containsExactly("a:1:SUCCEEDED", "b:1:SUCCEEDED", "c:1:SUCCEEDED");
  }

  @Test
  void aRunWhoseCaravanStopsEveryTimeIsFailedAfterMaxRunAttemptsInsteadOfResumedForEver()
      throws Exception {
    context = caravan();
    context
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:test",
            "{}",
            Map.of(EventConstants.EVENT_ID, "stuck-1", EventConstants.EVENT_TYPE, "stuck"));
    String runId =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> runs().runs("stuck", null, "stuck-1", 10, 0), found -> !found.isEmpty())
            .get(0)
            .id();
    // started once, then taken over twice: three attempts (the default caravan.runs.max-attempts)
    for (int attempt = 1; attempt <= 3; attempt++) {
      int started = attempt;
      await()
          .atMost(Duration.ofSeconds(20))
          .alias("attempt " + attempt + " runs its step")
          .until(() -> lines("hang").size() == started);
      context.stop();
      context = caravan();
    }

    RunView run =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> runs().run(runId).orElseThrow(),
                found -> found.status() != RunStatus.RUNNING);
    assertThat(run.status()).isEqualTo(RunStatus.FAILED);
    assertThat(run.summary())
        .startsWith("Given up after 3 attempts")
        .contains("caravan.runs.max-attempts");
    assertThat(run.ended()).isNotNull();
    assertThat(lines("hang")).as("the step was not started a fourth time").hasSize(3);
  }
}
