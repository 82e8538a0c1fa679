package dev.caravan.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.TestProcesses;
import dev.caravan.app.CaravanApplication;
import dev.caravan.gateway.Signatures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The dashboard in a real headless Chromium, on a real Caravan with local steps and no API token
 * (loopback only): runs appear live, a run's page shows its graph's states, a running step's log
 * and cancel, a pipeline's page runs it now, an event's page replays it.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, DashboardPipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:dashboard;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.github.webhook-secret=" + DashboardIT.SECRET
    })
class DashboardIT {

  static final String SECRET = "dashboard-webhook-secret";

  @RegisterExtension static final Browser browser = new Browser();

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  private JsonNode pullRequestOpened() throws Exception {
    byte[] body =
        ("{\"action\":\"opened\",\"repository\":{\"full_name\":\"acme/shop\"},"
                + "\"pull_request\":{\"number\":7,\"draft\":false,\"title\":\"Faster checkout\","
                + "\"head\":{\"sha\":\"0123456789abcdef0123456789abcdef01234567\"}}}")
            .getBytes(StandardCharsets.UTF_8);
    String signature =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body));
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create(url("/events/github")))
                .header("Content-Type", "application/json")
                .header("X-GitHub-Event", "pull_request")
                .header("X-GitHub-Delivery", UUID.randomUUID().toString())
                .header("X-Hub-Signature-256", signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    return json.readTree(answer.body());
  }

  private String runNow(String pipeline) throws Exception {
    return runNow(pipeline, "{}");
  }

  private String runNow(String pipeline, String data) throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create(url("/api/pipelines/" + pipeline + "/runs")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(data))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    return json.readTree(answer.body()).path("run").path("id").asText();
  }

  private String status(String run) throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create(url("/api/runs/" + run))).build(),
            HttpResponse.BodyHandlers.ofString());
    return json.readTree(answer.body()).path("status").asText();
  }

  private String runOf(JsonNode accepted, String pipeline) {
    for (JsonNode run : accepted.path("runs")) {
      if (run.path("pipeline").asText().equals(pipeline)) {
        return run.path("id").asText();
      }
    }
    throw new AssertionError("no run of " + pipeline + " in " + accepted);
  }

  private WebElement step(String name) {
    return browser.waitFor(By.cssSelector("svg.graph g.kind-step[data-name='" + name + "']"));
  }

  /** The fill of a step's box: the state's colour. */
  private String boxColour(String name) {
    return step(name).findElement(By.cssSelector("rect.box")).getCssValue("fill");
  }

  @Test
  void aRunStartedByASignedWebhookAppearsInTheListWithoutAReload() throws Exception {
    browser.open(url("/"));
    browser.waitFor(By.cssSelector("table.runs tbody#runs"));
    browser.script("window.caravanPageMark = 'not reloaded'");

    String run = runOf(pullRequestOpened(), "dash-checks");

    WebElement row = browser.waitFor(By.cssSelector("tr[data-run='" + run + "']"));
    assertThat(row.getText()).contains("dash-checks", "github", "pull_request:opened", "acme/shop");
    browser.waitFor(
        d ->
            d.findElement(By.cssSelector("tr[data-run='" + run + "']"))
                .getAttribute("data-status")
                .equals("FAILED"));
    assertThat(browser.script("return window.caravanPageMark")).isEqualTo("not reloaded");
    browser.screenshot("runs");
  }

  @Test
  void theRunPageShowsTheFailedStepAsFailedAndTheUntakenBranchAsSkipped() throws Exception {
    String run = runOf(pullRequestOpened(), "dash-checks");
    await().atMost(Duration.ofSeconds(30)).until(() -> status(run).equals("FAILED"));

    browser.open(url("/runs/" + run));

    browser.waitFor(d -> "FAILED".equals(step("unit-tests").getAttribute("data-state")));
    assertThat(step("unit-tests").getText()).contains("FAILED");
    assertThat(boxColour("unit-tests")).isEqualTo("rgb(255, 235, 233)");
    assertThat(boxColour("draft-notice")).isEqualTo("rgb(246, 248, 250)");
    // looked up again: the page draws the graph anew when the run changes
    assertThat(step("unit-tests").getCssValue("cursor")).isEqualTo("pointer");
    browser.waitFor(d -> "SKIPPED".equals(step("draft-notice").getAttribute("data-state")));
    assertThat(step("draft-notice").getText()).contains("SKIPPED");
    WebElement reason = browser.waitFor(By.cssSelector("#reason:not([hidden])"));
    assertThat(reason.getText()).contains("unit-tests", "exit code 3", "1 test failed");
    assertThat(browser.waitFor(By.id("run-status")).getText()).contains("FAILED");
    browser.waitFor(d -> d.findElement(By.id("log")).getText().contains("running tests"));
    browser.screenshot("run");
  }

  @Test
  void aSplitIsAStackWithCountsPerStateThatExpandsToItsItems() throws Exception {
    String run = runNow("dash-matrix", "{\"items\": [\"a\", \"b\", \"c\"]}");
    await().atMost(Duration.ofSeconds(30)).until(() -> status(run).equals("FAILED"));

    browser.open(url("/runs/" + run));
    By failedSplit = By.cssSelector("svg.graph g.kind-split[data-state='FAILED']");
    browser.waitFor(failedSplit);
    // looked up again at each use: the page draws the graph anew when the run changes
    assertThat(browser.waitFor(failedSplit).getText()).contains("2 ✓", "1 ✗");
    assertThat(browser.all(By.cssSelector("svg.graph g.item"))).isEmpty();
    assertThat(browser.waitFor(By.cssSelector("#reason span.ansi-fg-2")).getText())
        .isEqualTo("built b");

    browser.waitFor(failedSplit).findElement(By.cssSelector("text.frame-label")).click();

    browser.waitFor(d -> d.findElements(By.cssSelector("svg.graph g.item")).size() == 3);
    assertThat(browser.all(By.cssSelector("svg.graph g.item")))
        .extracting(item -> item.getAttribute("data-index") + " " + item.getAttribute("data-state"))
        .containsExactly("0 SUCCEEDED", "1 FAILED", "2 SUCCEEDED");
    browser.waitFor(By.cssSelector("svg.graph g.item[data-index='2']")).click();
    browser.waitFor(d -> d.getCurrentUrl().contains("step=build&index=2"));
    WebElement green = browser.waitFor(By.cssSelector("#log span.ansi-fg-2"));
    assertThat(green.getText()).isEqualTo("built c");
    assertThat(browser.waitFor(By.id("log")).getText()).doesNotContain("\u001b");
    browser.screenshot("run-split");
  }

  @Test
  void theLogOfARunningStepGrowsOnScreen() throws Exception {
    String run = runNow("dash-ticker");

    browser.open(url("/runs/" + run + "?step=ticker"));

    browser.waitFor(d -> d.findElement(By.id("log")).getText().contains("tick 3"));
    int seen = lastTick(browser.driver().findElement(By.id("log")).getText());
    browser.waitFor(d -> lastTick(d.findElement(By.id("log")).getText()) >= seen + 5);
    assertThat(status(run)).isEqualTo("RUNNING");
    browser.screenshot("run-live-log");
    http.send(
        HttpRequest.newBuilder(URI.create(url("/api/runs/" + run + "/cancel")))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void cancelOnThePageKillsTheStepsProcess() throws Exception {
    Path pidFile = DashboardPipelines.PIDS.resolve("ticker");
    Files.deleteIfExists(pidFile);
    String run = runNow("dash-ticker");
    browser.open(url("/runs/" + run + "?step=ticker"));
    browser.waitFor(d -> d.findElement(By.id("log")).getText().contains("tick 2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile));
    ProcessHandle step =
        TestProcesses.runningOrFail(Long.parseLong(Files.readString(pidFile).strip()));

    browser.waitFor(By.id("action-cancel")).click();

    browser.waitFor(d -> d.findElement(By.id("run-status")).getText().contains("CANCELED"));
    await().atMost(Duration.ofSeconds(15)).until(() -> !TestProcesses.alive(step));
    assertThat(status(run)).isEqualTo("CANCELED");
  }

  @Test
  void aRunWaitingInItsConcurrencyGroupShowsQueuedWithTheReasonAndStartsLive() throws Exception {
    String first = runNow("dash-deploy");
    await().atMost(Duration.ofSeconds(10)).until(() -> status(first).equals("RUNNING"));
    String second = runNow("dash-deploy");
    await().atMost(Duration.ofSeconds(10)).until(() -> status(second).equals("QUEUED"));

    browser.open(url("/runs/" + second));

    browser.waitFor(d -> d.findElement(By.id("run-status")).getText().contains("QUEUED"));
    assertThat(browser.waitFor(By.id("run-group")).getText()).isEqualTo("dash-deploy");
    WebElement reason = browser.waitFor(By.id("reason"));
    browser.waitFor(d -> reason.getText().contains("Why it waits"));
    assertThat(reason.getText())
        .contains("Waiting in concurrency group dash-deploy: 1 of 1 runs in flight");
    browser.screenshot("queued");
    Files.writeString(DashboardPipelines.PIDS.resolve("release-" + eventOf(first)), "");
    browser.waitFor(d -> d.findElement(By.id("run-status")).getText().contains("RUNNING"));
    Files.writeString(DashboardPipelines.PIDS.resolve("release-" + eventOf(second)), "");
    browser.waitFor(d -> d.findElement(By.id("run-status")).getText().contains("SUCCEEDED"));
  }

  private String eventOf(String run) throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create(url("/api/runs/" + run))).build(),
            HttpResponse.BodyHandlers.ofString());
    return json.readTree(answer.body()).path("event").asText();
  }

  @Test
  void runNowOnThePipelinePageStartsARun() throws Exception {
    browser.open(url("/pipelines/dash-quick"));
    step("hello");
    WebElement data = browser.waitFor(By.id("run-data"));
    data.clear();
    data.sendKeys("{\"who\": \"the dashboard\"}");
    browser.screenshot("pipeline");

    browser.waitFor(By.id("action-run")).click();

    browser.waitFor(d -> d.getCurrentUrl().contains("/runs/"));
    String run =
        URI.create(browser.driver().getCurrentUrl()).getPath().substring("/runs/".length());
    browser.waitFor(d -> d.findElement(By.id("run-status")).getText().contains("SUCCEEDED"));
    assertThat(status(run)).isEqualTo("SUCCEEDED");
  }

  @Test
  void theEventPageShowsTheCloudEventAndReplaysIt() throws Exception {
    JsonNode accepted = pullRequestOpened();
    String event = accepted.path("id").asText();
    String run = runOf(accepted, "dash-checks");

    browser.open(url("/events"));
    browser
        .waitFor(By.cssSelector("tr[data-event='" + event + "']"))
        .findElement(By.tagName("a"))
        .click();

    browser.waitFor(By.cssSelector("#event-runs tr[data-run='" + run + "']"));
    assertThat(browser.waitFor(By.id("cloudevent")).getText())
        .contains("\"source\"", "github", "Faster checkout");
    browser.screenshot("event");
    browser.waitFor(By.id("action-replay")).click();
    browser.waitFor(d -> d.findElements(By.cssSelector("#event-runs tr[data-run]")).size() == 2);
  }

  @Test
  void theRunsPageFiltersByTime() throws Exception {
    String run = runNow("dash-quick");
    await().atMost(Duration.ofSeconds(30)).until(() -> status(run).equals("SUCCEEDED"));

    browser.open(url("/?since=2000-01-01T00:00"));
    browser.waitFor(By.cssSelector("tr[data-run='" + run + "']"));
    browser.open(url("/?until=2000-01-01T00:00"));
    browser.waitFor(By.id("empty"));
    assertThat(browser.all(By.cssSelector("tr[data-run]"))).isEmpty();

    HttpResponse<String> bad =
        http.send(
            HttpRequest.newBuilder(URI.create(url("/api/runs?since=yesterday"))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json.readTree(bad.body()).path("detail").asText()).contains("'since'", "yesterday");
  }

  @Test
  void thePipelinesPageListsEveryPipeline() throws Exception {
    browser.open(url("/pipelines"));
    browser.waitFor(By.cssSelector("tr[data-pipeline='dash-quick']"));
    assertThat(browser.all(By.cssSelector("tr[data-pipeline]")))
        .extracting(row -> row.getAttribute("data-pipeline"))
        .contains("dash-checks", "dash-ticker", "dash-quick");
    browser.screenshot("pipelines");
  }

  private static int lastTick(String log) {
    int last = 0;
    for (String line : log.split("\n")) {
      if (line.startsWith("tick ")) {
        last = Math.max(last, Integer.parseInt(line.substring(5).strip()));
      }
    }
    return last;
  }
}
