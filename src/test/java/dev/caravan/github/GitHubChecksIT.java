package dev.caravan.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.LogCapture;
import dev.caravan.TestGit;
import dev.caravan.app.CaravanApplication;
import dev.caravan.gateway.Signatures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * GitHub App mode end to end: {@code pr-checks} in the Spring Boot app on the local executor, fed
 * signed webhook deliveries of a GitHub App, reports one check run per step to the GitHub stub
 * (which verifies the app's JWT with its public key and checks every request's shape), instead of
 * commit statuses; {@code check_run:rerequested} retries a run, {@code check_suite:requested}
 * starts one.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:github-checks;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.github.webhook-secret=" + GitHubChecksIT.SECRET,
      "caravan.github.token=ghp_notforcheckruns",
      "caravan.github.app-id=" + GitHubChecksIT.APP_ID,
      "caravan.api.public-url=https://caravan.example.com/",
      "caravan.pipelines.pr-checks.enabled=true",
      "caravan.checkout.allowed-schemes=file"
    })
class GitHubChecksIT {

  static final String SECRET = "checks-webhook-secret";
  static final String APP_ID = "Iv23liChecksApp";
  static final long INSTALLATION = 7707;
  static final Path DIR = createDir();
  static final Path REPOSITORY = TestGit.init(DIR.resolve("repository"));
  static final GitHubAppKeys KEYS = keys();
  static final GitHubStub GITHUB = startStub();
  static final GitHubAppStub APP = GITHUB.app(APP_ID, KEYS.publicKey(), Instant::now);

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) throws IOException {
    registry.add("caravan.github.api-url", GITHUB::url);
    Path key = KEYS.pkcs1(DIR);
    registry.add("caravan.github.app-key-file", key::toString);
    // each step counts its starts in DIR/<event id>.<step>; lint fails while DIR/<sha>.break-lint
    // exists
    registry.add(
        "caravan.pipelines.pr-checks.lint-script",
        () ->
            "echo lint >> "
                + DIR
                + "/$CARAVAN_EVENT_ID.lint; echo linting; while [ -e "
                + DIR
                + "/$SHA.hold-lint ]; do sleep 0.05; done; if [ -e "
                + DIR
                + "/$SHA.break-lint ]; then echo \"style: 3 violations in $REPO\"; exit 1; fi;"
                + " echo lint ok");
    registry.add(
        "caravan.pipelines.pr-checks.unit-tests-script",
        () -> "echo unit >> " + DIR + "/$CARAVAN_EVENT_ID.unit-tests; echo unit tests ok");
    registry.add(
        "caravan.pipelines.pr-checks.integration-tests-script",
        () -> "echo it >> " + DIR + "/$CARAVAN_EVENT_ID.integration-tests; echo it ok");
  }

  @AfterAll
  static void stopStub() {
    GITHUB.close();
  }

  @Test
  void everyStepOfARunGetsACheckRunQueuedThenInProgressThenItsConclusion() throws Exception {
    String sha = sha();
    breakLint(sha);
    String delivery = "checks-" + UUID.randomUUID();
    ListAppender<ILoggingEvent> logs = LogCapture.startAll();
    JsonNode run;
    Map<String, JsonNode> checks;
    try {
      assertThat(deliver("pull_request", delivery, pullRequest(sha)).statusCode()).isEqualTo(202);
      run = awaitRun(delivery, "pr-checks", 1).get(0);
      checks = awaitCompletedChecks(run.get("id").asText(), 4);
    } finally {
      LogCapture.stopAll(logs);
    }
    String runId = run.get("id").asText();
    assertThat(run.get("status").asText()).isEqualTo("FAILED");
    String keyLine = Files.readAllLines(KEYS.pkcs1(DIR)).get(1);
    assertThat(LogCapture.events(logs))
        .extracting(LogCapture::text)
        .anySatisfy(line -> assertThat(line).contains("Check run"))
        .noneSatisfy(line -> assertThat(line).contains(APP_ID))
        .noneSatisfy(line -> assertThat(line).contains(keyLine))
        .noneSatisfy(line -> assertThat(line).contains("ghs_stub"));

    assertThat(checks)
        .containsOnlyKeys("checkout", "lint", "unit-tests", "integration-tests")
        .allSatisfy(
            (name, check) -> {
              assertThat(check.get("head_sha").asText()).isEqualTo(sha);
              assertThat(check.get("external_id").asText()).isEqualTo(runId);
              assertThat(check.get("details_url").asText())
                  .isEqualTo("https://caravan.example.com/runs/" + runId);
              assertThat(check.at("/output/title").asText()).startsWith(name + " ");
            });
    assertThat(conclusions(checks))
        .containsEntry("checkout", "success")
        .containsEntry("lint", "failure")
        .containsEntry("unit-tests", "success")
        .containsEntry("integration-tests", "skipped");
    assertThat(statusesSent(checks.get("lint")))
        .containsExactly("queued", "in_progress", "completed");
    assertThat(statusesSent(checks.get("unit-tests")))
        .containsExactly("queued", "in_progress", "completed");
    assertThat(statusesSent(checks.get("integration-tests")))
        .as("never reached: queued, then skipped when the run ended")
        .containsExactly("queued", "completed");
    JsonNode lint = checks.get("lint");
    assertThat(lint.at("/output/title").asText()).isEqualTo("lint failed");
    assertThat(lint.at("/output/summary").asText())
        .contains("FAILED with exit code 1")
        .contains("Last lines of its log:")
        .contains("linting\nstyle: 3 violations in octo/hello\n");
    assertThat(checks.get("integration-tests").at("/output/summary").asText())
        .contains("was not run when run `" + runId + "` of `pr-checks` ended FAILED")
        .contains("lint failed; integration tests not run");
    assertThat(checks.get("lint").get("started_at").asText()).matches("\\d{4}-.*Z");

    assertThat(GITHUB.posts)
        .as("with an app configured, no commit statuses")
        .noneMatch(post -> post.path().contains("/statuses/"));
    assertThat(APP.violations).isEmpty();
    assertThat(APP.tokenRequests).isNotEmpty();
    assertThat(APP.verifiedJwts).allSatisfy(jwt -> assertThat(jwt.getIssuer()).isEqualTo(APP_ID));
    assertThat(APP.tokenRequests)
        .allSatisfy(
            request ->
                assertThat(request.path())
                    .isEqualTo("/api/v3/app/installations/" + INSTALLATION + "/access_tokens"));
    assertThat(APP.listRequests)
        .as("the run first looks for check runs it made before a restart")
        .anySatisfy(
            request ->
                assertThat(request.path())
                    .isEqualTo("/api/v3/repos/octo/hello/commits/" + sha + "/check-runs"));
  }

  @Test
  void aRunSupersededByANewPushConcludesItsCheckRunsCancelledNotFailed() throws Exception {
    String held = sha();
    Files.writeString(DIR.resolve(held + ".hold-lint"), "");
    String first = "superseded-" + UUID.randomUUID();
    String second = "newer-" + UUID.randomUUID();
    assertThat(deliver("pull_request", first, pullRequest(held)).statusCode()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> starts(first, "lint") == 1);

    assertThat(deliver("pull_request", second, pullRequest(sha())).statusCode()).isEqualTo(202);

    JsonNode superseded = awaitRun(first, "pr-checks", 1).get(0);
    JsonNode newer = awaitRun(second, "pr-checks", 1).get(0);
    assertThat(superseded.get("status").asText()).isEqualTo("CANCELED");
    assertThat(superseded.get("summary").asText())
        .isEqualTo("superseded by run " + newer.get("id").asText());
    Map<String, JsonNode> checks = awaitCompletedChecks(superseded.get("id").asText(), 4);
    assertThat(conclusions(checks))
        .containsEntry("checkout", "success")
        .containsEntry("lint", "cancelled")
        .containsEntry("integration-tests", "skipped")
        .doesNotContainValue("failure");
    assertThat(newer.get("status").asText()).isEqualTo("SUCCEEDED");
    Files.delete(DIR.resolve(held + ".hold-lint"));
  }

  @Test
  void aRerequestedCheckRunRetriesItsRunKeepingTheSucceededSteps() throws Exception {
    String sha = sha();
    breakLint(sha);
    String delivery = "rerequest-" + UUID.randomUUID();
    assertThat(deliver("pull_request", delivery, pullRequest(sha)).statusCode()).isEqualTo(202);
    String failed = awaitRun(delivery, "pr-checks", 1).get(0).get("id").asText();
    Map<String, JsonNode> first = awaitCompletedChecks(failed, 4);
    Files.delete(DIR.resolve(sha + ".break-lint"));

    String rerequest = "rerequested-" + UUID.randomUUID();
    assertThat(
            deliver(
                    "check_run",
                    rerequest,
                    checkRunRerequested(first.get("lint").get("id").asLong(), failed, sha))
                .statusCode())
        .isEqualTo(202);

    JsonNode handled = awaitRun(rerequest, "pr-checks-rerequested", 1).get(0);
    List<JsonNode> runs = awaitRun(delivery, "pr-checks", 2);
    JsonNode retry =
        runs.stream().filter(r -> !r.get("id").asText().equals(failed)).findFirst().orElseThrow();
    String retryId = retry.get("id").asText();
    assertThat(handled.get("summary").asText())
        .isEqualTo("run " + failed + " retried as run " + retryId);
    assertThat(retry.get("retryOf").asText()).isEqualTo(failed);
    assertThat(retry.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(starts(delivery, "unit-tests")).as("kept from the first run").isEqualTo(1);
    assertThat(starts(delivery, "lint")).isEqualTo(2);
    assertThat(starts(delivery, "integration-tests")).isEqualTo(1);

    Map<String, JsonNode> second = awaitCompletedChecks(retryId, 4);
    assertThat(conclusions(second))
        .containsEntry("checkout", "success")
        .containsEntry("lint", "success")
        .containsEntry("unit-tests", "success")
        .containsEntry("integration-tests", "success");
    assertThat(statusesSent(second.get("unit-tests")))
        .as("a kept step is completed from the journal")
        .containsExactly("queued", "completed");
    assertThat(second.get("unit-tests").at("/output/summary").asText())
        .contains("SUCCEEDED with exit code 0 (attempt 1) in run `" + retryId + "`")
        .contains("kept from the run it retries")
        .contains("unit tests ok");
    assertThat(second.get("lint").get("id")).isNotEqualTo(first.get("lint").get("id"));
    assertThat(APP.violations).isEmpty();
  }

  @Test
  void rerequestsOfUnknownOrInvalidRunIdsAreIgnored() throws Exception {
    String sha = sha();
    String unknown = "rerequested-" + UUID.randomUUID();
    String invalid = "rerequested-" + UUID.randomUUID();

    deliver("check_run", unknown, checkRunRerequested(4242, "0000-no-such-run", sha));
    deliver("check_run", invalid, checkRunRerequested(4243, "$(touch /tmp/x) ../", sha));

    assertThat(awaitRun(unknown, "pr-checks-rerequested", 1).get(0).get("summary").asText())
        .isEqualTo("ignored: no run 0000-no-such-run");
    JsonNode refused = awaitRun(invalid, "pr-checks-rerequested", 1).get(0);
    assertThat(refused.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(refused.get("summary").asText())
        .isEqualTo("ignored: the check run's external_id is no run id");
  }

  @Test
  void aRequestedCheckSuiteRunsThePipelineForItsHeadCommit() throws Exception {
    String sha = sha();
    String delivery = "suite-" + UUID.randomUUID();

    assertThat(deliver("check_suite", delivery, checkSuiteRequested(sha)).statusCode())
        .isEqualTo(202);

    JsonNode run = awaitRun(delivery, "pr-checks", 1).get(0);
    assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
    Map<String, JsonNode> checks = awaitCompletedChecks(run.get("id").asText(), 4);
    assertThat(conclusions(checks))
        .containsOnlyKeys("checkout", "lint", "unit-tests", "integration-tests")
        .containsValues("success")
        .doesNotContainValue("failure");
    assertThat(checks.values())
        .allSatisfy(c -> assertThat(c.get("head_sha").asText()).isEqualTo(sha));
    assertThat(APP.violations).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  private static String pullRequest(String sha) {
    return """
        {"action":"opened","number":7,"pull_request":{"number":7,"title":"Add checks",\
        "head":{"ref":"feature","sha":"%s"}},"repository":{"full_name":"octo/hello",\
        "clone_url":"%s"},"installation":{"id":%d},"sender":{"login":"ada"}}"""
        .formatted(sha, REPOSITORY, INSTALLATION);
  }

  private static String checkRunRerequested(long checkRunId, String externalId, String sha) {
    return """
        {"action":"rerequested","check_run":{"id":%d,"external_id":"%s","head_sha":"%s",\
        "name":"lint","check_suite":{"head_branch":"feature","head_sha":"%s"}},\
        "repository":{"full_name":"octo/hello","clone_url":"%s"},"installation":{"id":%d}}"""
        .formatted(
            checkRunId, externalId.replace("\"", "\\\""), sha, sha, REPOSITORY, INSTALLATION);
  }

  private static String checkSuiteRequested(String sha) {
    return """
        {"action":"requested","check_suite":{"id":99,"head_branch":"feature","head_sha":"%s"},\
        "repository":{"full_name":"octo/hello","clone_url":"%s"},"installation":{"id":%d}}"""
        .formatted(sha, REPOSITORY, INSTALLATION);
  }

  private HttpResponse<String> deliver(String event, String delivery, String payload)
      throws Exception {
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    String signature =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body));
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", event)
            .header("X-GitHub-Delivery", delivery)
            .header("X-Hub-Signature-256", signature)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The check runs of the run (by name) once {@code count} of them have completed. */
  private Map<String, JsonNode> awaitCompletedChecks(String runId, int count) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              Map<String, JsonNode> checks = new LinkedHashMap<>();
              for (JsonNode check : APP.checkRuns()) {
                if (runId.equals(check.path("external_id").asText())) {
                  checks.put(check.get("name").asText(), check.deepCopy());
                }
              }
              return checks;
            },
            checks ->
                checks.size() == count
                    && checks.values().stream()
                        .allMatch(check -> "completed".equals(check.path("status").asText())));
  }

  private static Map<String, String> conclusions(Map<String, JsonNode> checks) {
    Map<String, String> conclusions = new LinkedHashMap<>();
    checks.forEach((name, check) -> conclusions.put(name, check.get("conclusion").asText()));
    return conclusions;
  }

  /** The statuses sent for one check run, in order: the create's, then each update's. */
  private static List<String> statusesSent(JsonNode check) {
    String path = "/api/v3/repos/octo/hello/check-runs";
    String external = check.get("external_id").asText();
    String name = check.get("name").asText();
    List<String> statuses = new ArrayList<>();
    for (GitHubAppStub.Request request : APP.checkRunRequests) {
      boolean create =
          request.path().equals(path)
              && external.equals(request.body().path("external_id").asText())
              && name.equals(request.body().path("name").asText());
      boolean update = request.path().equals(path + "/" + check.get("id").asLong());
      if (create || update) {
        statuses.add(request.body().path("status").asText());
      }
    }
    return statuses;
  }

  private List<JsonNode> awaitRun(String eventId, String pipeline, int count) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              List<JsonNode> runs = new ArrayList<>();
              getJson("/api/runs?event=" + eventId + "&pipeline=" + pipeline)
                  .get("items")
                  .forEach(runs::add);
              return runs;
            },
            runs ->
                runs.size() == count && runs.stream().allMatch(run -> !run.path("ended").isNull()));
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private static void breakLint(String sha) throws IOException {
    Files.writeString(DIR.resolve(sha + ".break-lint"), "");
  }

  private static int starts(String eventId, String step) throws IOException {
    Path file = DIR.resolve(eventId + "." + step);
    return Files.exists(file) ? Files.readAllLines(file).size() : 0;
  }

  /** A new commit of the repository the checkout step clones. */
  private static synchronized String sha() {
    String file = "change-" + UUID.randomUUID() + ".txt";
    return TestGit.commit(REPOSITORY, file, file);
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("github-checks");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static GitHubAppKeys keys() {
    try {
      return new GitHubAppKeys();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static GitHubStub startStub() {
    try {
      return new GitHubStub();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
