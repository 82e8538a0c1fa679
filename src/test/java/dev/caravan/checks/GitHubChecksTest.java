package dev.caravan.checks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.LogCapture;
import dev.caravan.event.EventConstants;
import dev.caravan.event.H2EventComponents;
import dev.caravan.github.CheckRuns;
import dev.caravan.github.GitHubAppKeys;
import dev.caravan.github.GitHubAppStub;
import dev.caravan.github.GitHubAppTokens;
import dev.caravan.github.GitHubStub;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import dev.caravan.run.RunStatus;
import dev.caravan.run.Runs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GitHubChecks} in a plain CamelContext (no Spring) with real local steps and the run layer
 * on H2, against the GitHub stub over HTTP: a split's items share one check run, a step that times
 * out or is canceled concludes so, the steps after it are skipped; and, on {@link RunChecks}
 * directly, a resumed run continues its check runs and a refusing GitHub is logged, not fatal.
 */
class GitHubChecksTest {

  private static final String APP_ID = "Iv23liPlainCamel";
  private static final long INSTALLATION = 31;
  private static GitHubAppKeys keys;

  @TempDir Path dir;
  private GitHubStub github;
  private GitHubAppStub app;
  private CamelContext camel;
  private Path keyFile;

  @BeforeAll
  static void makeKeys() throws Exception {
    keys = new GitHubAppKeys();
  }

  @BeforeEach
  void start() throws Exception {
    github = new GitHubStub();
    app = github.app(APP_ID, keys.publicKey(), Instant::now);
    keyFile = keys.pkcs1(dir);
  }

  @AfterEach
  void stop() {
    if (camel != null) {
      camel.stop();
    }
    github.close();
  }

  private void startCamel() throws Exception {
    camel = new DefaultCamelContext();
    camel.getComponent("kjob", KjobComponent.class).setExecutor("local");
    camel.addComponent("event", H2EventComponents.inMemory("checks-" + UUID.randomUUID()));
    GitHubChecks checks = new GitHubChecks();
    checks.setAppId(APP_ID);
    checks.setAppKeyFile(keyFile.toString());
    checks.setApiUrl(github.url());
    checks.setPublicUrl("https://caravan.example.com");
    checks.setNamePrefix("ci / ");
    camel.getRegistry().bind("checks", checks);
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:github?types=fan-out")
                .routeId("fan-out")
                .process("checks")
                .split(constant(List.of("a", "b", "c")))
                .to("kjob:item?env.ITEM=${body}&script=RAW(echo \"item $ITEM\"; test $ITEM != b)")
                .end()
                .to("kjob:after?script=echo after");
            from("event:github?types=slow")
                .routeId("slow")
                .process("checks")
                .to("kjob:slow?timeout=1s&script=RAW(echo waiting; sleep 20)")
                .to("kjob:never?script=echo never");
            from("event:github?types=held")
                .routeId("held")
                .process("checks")
                .to("kjob:held?script=RAW(echo holding; sleep 20)");
          }
        });
    camel.start();
  }

  private void publish(String type) {
    String sha = "0123456789abcdef0123456789abcdef0123456" + (int) (Math.random() * 10);
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:github",
            "{\"installation\": {\"id\": " + INSTALLATION + "}}",
            Map.of(
                EventConstants.EVENT_ID,
                type + "-" + UUID.randomUUID(),
                EventConstants.EVENT_TYPE,
                type,
                EventConstants.EVENT_SUBJECT,
                "octo/hello",
                EventConstants.EVENT_LABELS,
                Map.of("commit", sha)));
  }

  /** The check runs of the one run of {@code pipeline}'s steps, by name, once all completed. */
  private Map<String, JsonNode> awaitCompleted(String... names) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              Map<String, JsonNode> found = new LinkedHashMap<>();
              for (JsonNode check : app.checkRuns()) {
                for (String name : names) {
                  if (check.get("name").asText().equals("ci / " + name)) {
                    found.put(name, check.deepCopy());
                  }
                }
              }
              return found;
            },
            found ->
                found.size() == names.length
                    && found.values().stream()
                        .allMatch(check -> "completed".equals(check.path("status").asText())));
  }

  @Test
  void theItemsOfASplitShareOneCheckRunWithTheWorstConclusion() throws Exception {
    startCamel();

    publish("fan-out");

    Map<String, JsonNode> checks = awaitCompleted("item", "after");
    JsonNode item = checks.get("item");
    String runId = item.get("external_id").asText();
    assertThat(app.checkRuns())
        .filteredOn(check -> runId.equals(check.path("external_id").asText()))
        .as("one check run per step name, not per item")
        .hasSize(2);
    assertThat(item.get("conclusion").asText()).isEqualTo("failure");
    assertThat(item.at("/output/summary").asText())
        .contains("3 items, 1 did not succeed; the worst one FAILED with exit code 1")
        .contains("item b\n");
    assertThat(Runs.of(camel).store().run(runId).orElseThrow().status())
        .isEqualTo(RunStatus.FAILED);
    assertThat(checks.get("after").get("conclusion").asText()).isEqualTo("skipped");
    assertThat(item.get("details_url").asText())
        .isEqualTo("https://caravan.example.com/runs/" + runId);
    assertThat(app.violations).isEmpty();
  }

  @Test
  void aStepThatTimesOutConcludesTimedOutAndTheNextIsSkipped() throws Exception {
    startCamel();

    publish("slow");

    Map<String, JsonNode> checks = awaitCompleted("slow", "never");
    assertThat(checks.get("slow").get("conclusion").asText()).isEqualTo("timed_out");
    assertThat(checks.get("slow").at("/output/title").asText()).isEqualTo("slow timed out");
    assertThat(checks.get("slow").at("/output/summary").asText()).contains("waiting");
    assertThat(checks.get("never").get("conclusion").asText()).isEqualTo("skipped");
    assertThat(checks.get("never").at("/output/summary").asText())
        .contains("was not run when run")
        .contains("ended TIMED_OUT");
    assertThat(app.violations).isEmpty();
  }

  @Test
  void aCanceledRunsStepConcludesCancelled() throws Exception {
    startCamel();
    publish("held");
    JsonNode inProgress =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    app.checkRuns().stream()
                        .filter(check -> "ci / held".equals(check.get("name").asText()))
                        .findFirst()
                        .orElse(null),
                check -> check != null && "in_progress".equals(check.path("status").asText()));

    assertThat(Runs.of(camel).cancel(inProgress.get("external_id").asText())).isPresent();

    JsonNode held = awaitCompleted("held").get("held");
    assertThat(held.get("conclusion").asText()).isEqualTo("cancelled");
    assertThat(app.violations).isEmpty();
  }

  private RunChecks runChecks(String runId) {
    CheckRuns client =
        new CheckRuns(new GitHubAppTokens(APP_ID, keyFile, github.url(), Duration.ofSeconds(10)));
    String sha = "89abcdef0123456789abcdef0123456789abcdef";
    return new RunChecks(
        new RunChecks.Target(runId, "deploy", INSTALLATION, "octo/hello", sha, null, ""),
        client,
        Runnable::run);
  }

  @Test
  void aResumedRunContinuesTheCheckRunsItMadeBeforeInsteadOfCreatingNewOnes() throws Exception {
    Map<String, Boolean> planned = new LinkedHashMap<>();
    planned.put("build", false);
    planned.put("ship", false);
    runChecks("run-before-crash").begin(planned);
    long build =
        app.checkRuns().stream()
            .filter(check -> "build".equals(check.get("name").asText()))
            .findFirst()
            .orElseThrow()
            .get("id")
            .asLong();
    runChecks("another-run").begin(Map.of("build", false));
    int created = app.checkRunRequests.size();

    RunChecks resumed = runChecks("run-before-crash");
    resumed.begin(planned);
    resumed.started("build", Instant.now());
    resumed.ended(
        "build",
        "",
        1,
        new StepResult(
            "build-1", StepStatus.SUCCEEDED, 0, "built\n", Instant.now(), Instant.now()));

    assertThat(app.checkRunRequests.subList(created, app.checkRunRequests.size()))
        .extracting(request -> request.method() + " " + request.path())
        .containsExactly(
            "PATCH /api/v3/repos/octo/hello/check-runs/" + build,
            "PATCH /api/v3/repos/octo/hello/check-runs/" + build);
    assertThat(app.checkRun(build).get("conclusion").asText()).isEqualTo("success");
    assertThat(app.listRequests).hasSize(3);
    assertThat(app.violations).isEmpty();
  }

  @Test
  void aGitHubThatRefusesIsLoggedAndALaterChangeCreatesTheCheckRun() throws Exception {
    app.refuseTokens(403, "Resource not accessible by integration");
    RunChecks checks = runChecks("refused-run");
    ListAppender<ILoggingEvent> logs = LogCapture.start(RunChecks.class);
    try {
      checks.begin(Map.of("build", false));
      app.refuseTokens(0, null);
      checks.started("build", Instant.now());
    } finally {
      LogCapture.stop(RunChecks.class, logs);
    }

    assertThat(LogCapture.events(logs))
        .extracting(LogCapture::text)
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("Could not report step build of run refused-run to GitHub")
                    .contains("GitHub answered 403")
                    .contains("Resource not accessible by integration"))
        .noneSatisfy(line -> assertThat(line).contains(APP_ID));
    assertThat(app.checkRuns())
        .singleElement()
        .satisfies(
            check -> {
              assertThat(check.get("name").asText()).isEqualTo("build");
              assertThat(check.get("status").asText()).isEqualTo("in_progress");
              assertThat(check.get("external_id").asText()).isEqualTo("refused-run");
            });
  }
}
