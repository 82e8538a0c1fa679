package dev.caravan.pipelines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.TestGit;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventConstants;
import dev.caravan.gateway.CronTick;
import dev.caravan.gateway.Signatures;
import dev.caravan.github.GitHubStub;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example pipelines of routes/pipelines/ in the Spring Boot app, on the local executor,
 * triggered through the real gateways (signed GitHub and Trello deliveries, the generic webhook
 * with its token) or, for cron and Kubernetes events, through the gateways' own processors. Steps
 * whose real scripts would need a checkout or a JDK matrix get test scripts (set by the pipelines'
 * script properties) that count their starts in files under {@link #DIR}.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:example-pipelines;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.github.webhook-secret=" + ExamplePipelinesIT.GITHUB_SECRET,
      "caravan.github.token=" + ExamplePipelinesIT.GITHUB_TOKEN,
      "caravan.api.public-url=https://caravan.example.com",
      "caravan.trello.secret=" + ExamplePipelinesIT.TRELLO_SECRET,
      "caravan.trello.callback-url=" + ExamplePipelinesIT.TRELLO_CALLBACK,
      "caravan.webhook.tokens.matrix=" + ExamplePipelinesIT.MATRIX_TOKEN,
      "caravan.pipelines.pr-checks.enabled=true",
      // pr-checks checks out a local repository
      "caravan.checkout.allowed-schemes=file",
      "caravan.pipelines.matrix.parallelism=2",
      "caravan.pipelines.k8s-warnings.window=1500"
    })
class ExamplePipelinesIT {

  static final String GITHUB_SECRET = "pr-checks-webhook-secret";
  static final String GITHUB_TOKEN = "ghp_pipelinetoken";
  static final String TRELLO_SECRET = "trello-deploy-secret";
  static final String TRELLO_CALLBACK = "https://caravan.example.com/events/trello";
  static final String MATRIX_TOKEN = "matrix-t0ken";
  static final Path DIR = createDir();
  static final Path REPOSITORY = createRepository();
  static final GitHubStub GITHUB = startStub();

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("caravan.github.api-url", GITHUB::url);
    // each step counts its starts in DIR/<event id>.<step>; lint fails for a title with lint-breaks
    registry.add(
        "caravan.pipelines.pr-checks.lint-script",
        () ->
            "echo lint >> "
                + DIR
                + "/$CARAVAN_EVENT_ID.lint; if grep -q hold-lint \"$CARAVAN_EVENT_FILE\"; then"
                + " while [ ! -f "
                + DIR
                + "/release-$CARAVAN_EVENT_ID ]; do sleep 0.05; done; fi;"
                + " if grep -q lint-breaks \"$CARAVAN_EVENT_FILE\";"
                + " then echo \"style: 3 violations in $REPO\"; exit 1; fi; echo lint ok");
    registry.add(
        "caravan.pipelines.pr-checks.unit-tests-script",
        () ->
            "echo unit >> "
                + DIR
                + "/$CARAVAN_EVENT_ID.unit-tests; git -C \"$CARAVAN_WORKSPACE/source\" rev-parse"
                + " HEAD; echo unit tests ok");
    registry.add(
        "caravan.pipelines.pr-checks.integration-tests-script",
        () ->
            "echo it >> "
                + DIR
                + "/$CARAVAN_EVENT_ID.integration-tests; echo \"integration tests of #$PR ok\"");
    // the real deploy script, after waiting for DIR/release-<card id> when the card is "hold"
    registry.add(
        "caravan.pipelines.trello-deploy.deploy-script",
        () ->
            "echo \"$CARD_ID\" >> "
                + DIR
                + "/deploys; if [ \"$CARD_NAME\" = hold ]; then while [ ! -f "
                + DIR
                + "/release-$CARD_ID ]; do sleep 0.05; done; fi; . "
                + Path.of("src/main/resources/scripts/trello-deploy/deploy.sh").toAbsolutePath());
    // the matrix's steps record how many of them run at once; version 21 fails
    registry.add(
        "caravan.pipelines.matrix.test-script",
        () ->
            "mkdir -p "
                + DIR
                + "/running; touch "
                + DIR
                + "/running/$VERSION; ls "
                + DIR
                + "/running | wc -l >> "
                + DIR
                + "/matrix-concurrency; sleep 0.4; rm "
                + DIR
                + "/running/$VERSION; echo \"tested on $VERSION\"; case $VERSION in 21) echo"
                + " \"boom on $VERSION\"; exit 3;; esac");
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("example-pipelines");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The pull requests' repository: a local git repository the checkout step clones. */
  private static Path createRepository() {
    return TestGit.init(DIR.resolve("repository"));
  }

  private static GitHubStub startStub() {
    try {
      return new GitHubStub();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void stopStub() {
    GITHUB.close();
  }

  // ---------------------------------------------------------------- pr-checks

  private static String pullRequest(String sha, String title) {
    return """
        {"action":"opened","number":7,"pull_request":{"number":7,"title":"%s",\
        "head":{"ref":"feature","sha":"%s"}},"repository":{"full_name":"octo/hello",\
        "clone_url":"%s"},"sender":{"login":"ada"}}"""
        .formatted(title, sha, REPOSITORY);
  }

  private HttpResponse<String> deliverGitHub(String delivery, String payload) throws Exception {
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    String signature =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", GITHUB_SECRET, body));
    return http.send(
        HttpRequest.newBuilder(url("/events/github"))
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", "pull_request")
            .header("X-GitHub-Delivery", delivery)
            .header("X-Hub-Signature-256", signature)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The commit statuses posted for one commit, in order. */
  private List<JsonNode> statuses(String sha) throws Exception {
    List<JsonNode> statuses = new ArrayList<>();
    for (GitHubStub.Post post : GITHUB.posts) {
      if (post.path().equals("/api/v3/repos/octo/hello/statuses/" + sha)) {
        assertThat(post.authorization()).isEqualTo("token " + GITHUB_TOKEN);
        statuses.add(json.readTree(post.body()));
      }
    }
    return statuses;
  }

  private int starts(String eventId, String step) throws IOException {
    Path file = DIR.resolve(eventId + "." + step);
    return Files.exists(file) ? Files.readAllLines(file).size() : 0;
  }

  @Test
  void prChecksReportPendingThenSuccessAfterAllThreeChecks() throws Exception {
    String sha = sha();
    String delivery = "pr-ok-" + UUID.randomUUID();

    assertThat(deliverGitHub(delivery, pullRequest(sha, "Add & fix")).statusCode()).isEqualTo(202);

    JsonNode run = awaitRun(delivery, "pr-checks");
    String runId = run.get("id").asText();
    assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(run.get("summary").asText())
        .isEqualTo("success: lint, unit tests and integration tests passed");
    List<JsonNode> statuses = statuses(sha);
    assertThat(statuses)
        .extracting(s -> s.get("state").asText())
        .containsExactly("pending", "success");
    for (JsonNode status : statuses) {
      assertThat(status.get("target_url").asText())
          .isEqualTo("https://caravan.example.com/runs/" + runId);
      assertThat(status.get("context").asText()).isEqualTo("caravan/pr-checks");
    }
    assertThat(statuses.get(1).get("description").asText())
        .isEqualTo("lint, unit tests and integration tests passed");
    assertThat(steps(runId))
        .containsExactlyInAnyOrder(
            "checkout:SUCCEEDED",
            "lint:SUCCEEDED",
            "unit-tests:SUCCEEDED",
            "integration-tests:SUCCEEDED");
    assertThat(log(runId, "checkout")).startsWith("checked out " + sha + "\n").contains("change-");
    assertThat(log(runId, "unit-tests"))
        .as("the steps share the run's workspace with the checked-out commit")
        .isEqualTo(sha + "\nunit tests ok\n");
    assertThat(log(runId, "integration-tests")).isEqualTo("integration tests of #7 ok\n");
    assertThat(starts(delivery, "lint")).isEqualTo(1);
    assertThat(starts(delivery, "unit-tests")).isEqualTo(1);
    assertThat(starts(delivery, "integration-tests")).isEqualTo(1);
  }

  @Test
  void aNewPushToAPullRequestCancelsItsRunStillInFlight() throws Exception {
    String first = "pr-push-1-" + UUID.randomUUID();
    String second = "pr-push-2-" + UUID.randomUUID();
    assertThat(deliverGitHub(first, pullRequest(sha(), "hold-lint")).statusCode()).isEqualTo(202);
    awaitRunStatus(first, "pr-checks", "RUNNING");
    await().atMost(Duration.ofSeconds(20)).until(() -> starts(first, "lint") == 1);

    assertThat(deliverGitHub(second, pullRequest(sha(), "Push again")).statusCode()).isEqualTo(202);

    JsonNode superseded = awaitRun(first, "pr-checks");
    JsonNode newer = awaitRun(second, "pr-checks");
    assertThat(superseded.get("status").asText()).isEqualTo("CANCELED");
    assertThat(superseded.get("summary").asText())
        .isEqualTo("superseded by run " + newer.get("id").asText());
    assertThat(superseded.get("concurrencyGroup").asText()).isEqualTo("octo/hello/feature");
    assertThat(newer.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(starts(first, "integration-tests")).isZero();
  }

  @Test
  void aFailingLintReportsFailureAndSkipsTheIntegrationTests() throws Exception {
    String sha = sha();
    String delivery = "pr-lint-" + UUID.randomUUID();

    assertThat(deliverGitHub(delivery, pullRequest(sha, "lint-breaks here")).statusCode())
        .isEqualTo(202);

    JsonNode run = awaitRun(delivery, "pr-checks");
    String runId = run.get("id").asText();
    assertThat(run.get("status").asText()).isEqualTo("FAILED");
    assertThat(run.get("summary").asText())
        .isEqualTo("failure: lint failed; integration tests not run");
    List<JsonNode> statuses = statuses(sha);
    assertThat(statuses)
        .extracting(s -> s.get("state").asText())
        .containsExactly("pending", "failure");
    assertThat(statuses.get(1).get("description").asText())
        .isEqualTo("lint failed; integration tests not run");
    assertThat(steps(runId))
        .containsExactlyInAnyOrder(
            "checkout:SUCCEEDED",
            "lint:FAILED",
            "unit-tests:SUCCEEDED",
            "integration-tests:SKIPPED");
    assertThat(log(runId, "lint")).contains("style: 3 violations in octo/hello");
    assertThat(starts(delivery, "lint")).isEqualTo(1);
    assertThat(starts(delivery, "unit-tests")).as("the other branch still ran").isEqualTo(1);
    assertThat(starts(delivery, "integration-tests")).isZero();
  }

  /** A new commit of the pull request's repository, with a file named after it. */
  private static synchronized String sha() {
    String file = "change-" + UUID.randomUUID() + ".txt";
    return TestGit.commit(REPOSITORY, file, file);
  }

  // ---------------------------------------------------------------- matrix

  @Test
  void matrixRunsEveryVersionWithABoundAndReportsTheFailedOneWithItsLogTail() throws Exception {
    String eventId = "matrix-" + UUID.randomUUID();
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(url("/events/webhook/matrix"))
                .header("Authorization", "Bearer " + MATRIX_TOKEN)
                .header("Content-Type", "application/json")
                .header("X-Event-Type", "matrix")
                .header("X-Event-Id", eventId)
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"versions\": [\"17\", \"21\", \"25\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);

    JsonNode run = awaitRun(eventId, "matrix");

    assertThat(run.get("status").asText()).isEqualTo("FAILED");
    assertThat(run.get("summary").asText())
        .isEqualTo(
            """
            2 of 3 passed; failed: 21
            17: passed
            21: FAILED (exit code 3)
                tested on 21
                boom on 21
            25: passed
            """);
    assertThat(getJson("/api/runs/" + run.get("id").asText()).get("steps"))
        .extracting(s -> s.get("name").asText() + s.get("fanOutIndex").asText())
        .containsExactlyInAnyOrder("test0", "test1", "test2");
    assertThat(Files.readAllLines(DIR.resolve("matrix-concurrency")))
        .hasSize(3)
        .allSatisfy(count -> assertThat(Integer.parseInt(count.trim())).isLessThanOrEqualTo(2));
  }

  // ---------------------------------------------------------------- trello-deploy

  private static String cardMoved(String actionId, String listAfter) {
    return cardMoved(actionId, "c1", "Ship it; $(rm -rf /)", listAfter);
  }

  private static String cardMoved(
      String actionId, String cardId, String cardName, String listAfter) {
    return """
        {"model":{"id":"b1","name":"Caravan"},"action":{"id":"%s","type":"updateCard",\
        "date":"2025-03-11T10:15:30.123Z","data":{"board":{"id":"b1","name":"Caravan"},\
        "card":{"id":"%s","name":"%s"},"listBefore":{"name":"Doing"},\
        "listAfter":{"name":"%s"}},"memberCreator":{"username":"ada"}}}"""
        .formatted(actionId, cardId, cardName, listAfter);
  }

  private HttpResponse<String> deliverTrello(String payload) throws Exception {
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    String signature =
        Base64.getEncoder()
            .encodeToString(
                Signatures.hmac(
                    "HmacSHA1",
                    TRELLO_SECRET,
                    body,
                    TRELLO_CALLBACK.getBytes(StandardCharsets.UTF_8)));
    return http.send(
        HttpRequest.newBuilder(url("/events/trello"))
            .header("Content-Type", "application/json")
            .header("X-Trello-Webhook", signature)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCardMovedIntoTheDeployListIsDeployedAndOneMovedElsewhereIsNot() throws Exception {
    String intoDeploy = "deploy-" + UUID.randomUUID();
    String intoDone = "done-" + UUID.randomUUID();

    assertThat(deliverTrello(cardMoved(intoDeploy, "Deploy")).statusCode()).isEqualTo(202);
    assertThat(deliverTrello(cardMoved(intoDone, "Done")).statusCode()).isEqualTo(202);

    JsonNode deployed = awaitRun(intoDeploy, "trello-deploy");
    assertThat(deployed.get("status").asText()).isEqualTo("SUCCEEDED");
    String runId = deployed.get("id").asText();
    assertThat(steps(runId)).containsExactly("deploy:SUCCEEDED");
    assertThat(log(runId, "deploy"))
        .isEqualTo(
            "deploying card \"Ship it; $(rm -rf /)\" (c1)\n"
                + "board: Caravan (b1), list: Deploy, moved by: ada\n");
    JsonNode elsewhere = awaitRun(intoDone, "trello-deploy");
    assertThat(elsewhere.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(steps(elsewhere.get("id").asText())).containsExactly("deploy:SKIPPED");
  }

  @Test
  void deploysRunOneAtATimeAndTheNextOnesWaitQueuedInArrivalOrder() throws Exception {
    String first = "deploy-hold-" + UUID.randomUUID();
    String second = "deploy-next-" + UUID.randomUUID();
    String elsewhere = "done-meanwhile-" + UUID.randomUUID();
    String firstCard = "card-" + UUID.randomUUID();
    String secondCard = "card-" + UUID.randomUUID();
    assertThat(deliverTrello(cardMoved(first, firstCard, "hold", "Deploy")).statusCode())
        .isEqualTo(202);
    JsonNode running = awaitRunStatus(first, "trello-deploy", "RUNNING");
    await().atMost(Duration.ofSeconds(20)).until(() -> deploys().contains(firstCard));

    assertThat(deliverTrello(cardMoved(second, secondCard, "next", "Deploy")).statusCode())
        .isEqualTo(202);
    assertThat(deliverTrello(cardMoved(elsewhere, "Done")).statusCode()).isEqualTo(202);

    JsonNode queued = awaitRunStatus(second, "trello-deploy", "QUEUED");
    assertThat(queued.get("concurrencyGroup").asText()).isEqualTo("Deploy");
    assertThat(queued.get("summary").asText())
        .isEqualTo("Waiting in concurrency group Deploy: 1 of 1 runs in flight");
    JsonNode details = getJson("/api/runs/" + queued.get("id").asText());
    assertThat(details.get("reason").get("summary").asText())
        .isEqualTo(queued.get("summary").asText());
    assertThat(awaitRun(elsewhere, "trello-deploy").get("status").asText())
        .as("a move into another list is in a group of its own")
        .isEqualTo("SUCCEEDED");

    Files.writeString(DIR.resolve("release-" + firstCard), "");
    assertThat(awaitRun(first, "trello-deploy").get("id").asText())
        .isEqualTo(running.get("id").asText());
    assertThat(awaitRun(second, "trello-deploy").get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(deploys()).containsSubsequence(firstCard, secondCard);
  }

  private List<String> deploys() throws IOException {
    Path file = DIR.resolve("deploys");
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  // ---------------------------------------------------------------- nightly

  @Test
  void theNightlyTickRunsCleanup() throws Exception {
    // what the cron gateway's route does at a Quartz firing of the schedule "nightly"
    Exchange tick = new DefaultExchange(camel);
    tick.getMessage().setHeader(CronTick.NAME, "nightly");
    tick.getMessage().setHeader(CronTick.SCHEDULE, "0 0 2 * * ?");
    tick.getMessage()
        .setHeader("scheduledFireTime", Date.from(Instant.parse("2025-03-02T02:00:00Z")));
    camel.getRegistry().lookupByNameAndType("cronTick", Processor.class).process(tick);
    Exchange published = camel.createProducerTemplate().send("event:cron", tick);
    assertThat(published.getException()).isNull();
    String eventId = published.getMessage().getHeader(EventConstants.EVENT_ID, String.class);
    assertThat(eventId).isEqualTo("cron:nightly:2025-03-02T02:00:00Z");

    JsonNode run = awaitRun(eventId, "nightly");

    assertThat(run.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(steps(run.get("id").asText())).containsExactly("cleanup:SUCCEEDED");
    assertThat(run.get("summary").asText())
        .startsWith("nightly cleanup for the tick scheduled at 2025-03-02T02:00:00Z\n");
  }

  // ---------------------------------------------------------------- k8s-warnings

  private static Event k8sEvent(String uid, String type, String pod, String reason, String note) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(pod + "." + uid)
        .withNamespace("ci")
        .withUid(uid)
        .withCreationTimestamp("2025-03-02T10:00:00Z")
        .endMetadata()
        .withType(type)
        .withReason(reason)
        .withNote(note)
        .withRegarding(new ObjectReferenceBuilder().withKind("Pod").withName(pod).build())
        .build();
  }

  @Test
  void warningsOfEachObjectAreSummarizedOnceAfterTheWindow() throws Exception {
    String web = "web-" + UUID.randomUUID().toString().substring(0, 8);
    String db = "db-" + UUID.randomUUID().toString().substring(0, 8);
    Processor normalizer =
        camel.getRegistry().lookupByNameAndType("kubernetesEventNormalizer", Processor.class);
    List<String> eventIds = new ArrayList<>();
    for (Event event :
        List.of(
            k8sEvent(uid(), "Warning", web, "BackOff", "Back-off restarting failed container"),
            k8sEvent(uid(), "Normal", web, "Pulled", "Container image pulled"),
            k8sEvent(uid(), "Warning", web, "FailedMount", "secret \"db\" not found"),
            k8sEvent(uid(), "Warning", db, "FailedScheduling", "0/3 nodes are available"),
            k8sEvent(uid(), "Warning", web, "BackOff", "Back-off restarting failed container"))) {
      // what the Kubernetes events gateway's route does with a watched Event
      Exchange exchange = new DefaultExchange(camel);
      exchange.getMessage().setBody(event);
      normalizer.process(exchange);
      Exchange published = camel.createProducerTemplate().send("event:kubernetes", exchange);
      assertThat(published.getException()).isNull();
      eventIds.add(published.getMessage().getHeader(EventConstants.EVENT_ID, String.class));
    }

    List<JsonNode> summaries =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> summarizeRuns(web, db),
                runs ->
                    runs.size() == 2
                        && runs.stream()
                            .allMatch(r -> r.get("status").asText().equals("SUCCEEDED")));

    String webSummary = summaryOf(summaries, "Pod/" + web);
    assertThat(webSummary)
        .isEqualTo(
            "Warnings for Pod/"
                + web
                + " in namespace ci:\n"
                + "      2 BackOff: Back-off restarting failed container\n"
                + "      1 FailedMount: secret \"db\" not found\n");
    assertThat(summaryOf(summaries, "Pod/" + db))
        .isEqualTo(
            "Warnings for Pod/"
                + db
                + " in namespace ci:\n"
                + "      1 FailedScheduling: 0/3 nodes are available\n");
    for (JsonNode summarized : summaries) {
      assertThat(steps(summarized.get("id").asText())).containsExactly("summarize:SUCCEEDED");
    }
    // each Kubernetes event was a run of its own, ended when it was collected (or filtered out)
    for (String eventId : eventIds) {
      JsonNode collected = awaitRun(eventId, "k8s-warnings");
      assertThat(collected.get("status").asText()).isEqualTo("SUCCEEDED");
      assertThat(steps(collected.get("id").asText())).isEmpty();
    }
    // no further digest: the count stays at two for longer than the test's window (1.5 s)
    await()
        .during(Duration.ofMillis(2500))
        .atMost(Duration.ofSeconds(10))
        .until(() -> summarizeRuns(web, db).size() == 2);
  }

  private static String uid() {
    return UUID.randomUUID().toString();
  }

  private List<JsonNode> summarizeRuns(String... objects) throws Exception {
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode run :
        getJson("/api/runs?pipeline=k8s-warnings-summarize&limit=500").get("items")) {
      for (String object : objects) {
        if (run.path("summary").asText().startsWith("Warnings for Pod/" + object + " ")) {
          found.add(run);
        }
      }
    }
    return found;
  }

  private static String summaryOf(List<JsonNode> runs, String object) {
    return runs.stream()
        .map(run -> run.get("summary").asText())
        .filter(summary -> summary.startsWith("Warnings for " + object + " "))
        .findFirst()
        .orElseThrow();
  }

  // ---------------------------------------------------------------- API helpers

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(url(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  /** The ended run of the pipeline for the event. */
  private JsonNode awaitRun(String eventId, String pipeline) {
    return awaitRunWhere(
        eventId, pipeline, run -> run.get("ended") != null && !run.get("ended").isNull());
  }

  /** The run of the event once it has the given status. */
  private JsonNode awaitRunStatus(String eventId, String pipeline, String status) {
    return awaitRunWhere(eventId, pipeline, run -> status.equals(run.get("status").asText()));
  }

  /** The one run of the event and pipeline, once it is as the condition says. */
  private JsonNode awaitRunWhere(String eventId, String pipeline, Predicate<JsonNode> condition) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              JsonNode items =
                  getJson("/api/runs?event=" + eventId + "&pipeline=" + pipeline).get("items");
              return items.size() == 1 ? items.get(0) : null;
            },
            run -> run != null && condition.test(run));
  }

  /** "name:status" of the run's steps. */
  private List<String> steps(String runId) throws Exception {
    List<String> steps = new ArrayList<>();
    for (JsonNode step : getJson("/api/runs/" + runId).get("steps")) {
      steps.add(step.get("name").asText() + ":" + step.get("status").asText());
    }
    return steps;
  }

  private String log(String runId, String step) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(url("/api/runs/" + runId + "/steps/" + step + "/logs"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }
}
