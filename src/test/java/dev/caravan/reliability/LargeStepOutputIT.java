package dev.caravan.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.RawHttp;
import dev.caravan.app.CaravanApplication;
import dev.caravan.gateway.Signatures;
import dev.caravan.kjob.StepOutput;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten steps print 100 MB each at once in the Caravan app, a separate JVM with a 256 MB heap: every
 * run ends, every stored log is the head, the dropped-bytes marker and the tail (with the step's
 * last line), the store keeps working meanwhile (a webhook is accepted, the API answers), and the
 * heap left after each garbage collection (from the child's GC log) stays well under the limit.
 */
class LargeStepOutputIT {

  private static final int STEPS = 10;
  private static final long PRINTED = 100_000_000;
  private static final int MAX_OUTPUT = 1024 * 1024;
  private static final int HEAP_MB = 256;
  private static final String SECRET = "large-output-secret-81f";
  private static final Pattern GC =
      Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final List<ChildJvm> children = new ArrayList<>();
  private int port;

  @AfterEach
  void stopTheApp() throws InterruptedException {
    for (ChildJvm child : children) {
      child.process().destroy();
      if (!child.process().waitFor(30, TimeUnit.SECONDS)) {
        child.process().destroyForcibly();
      }
    }
  }

  @Test
  void tenStepsPrintingHundredMegabytesEachKeepHeadAndTailAndTheAppHealthy() throws Exception {
    ChildJvm app = startApp();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .alias("the app is ready; log:\n" + app.tail())
        .ignoreExceptions()
        .until(() -> get("/actuator/health/readiness").statusCode() == 200);
    await()
        .atMost(Duration.ofMinutes(1))
        .alias("the noisy pipeline from the routes directory subscribed")
        .until(() -> get("/api/pipelines").body().contains("\"noisy\""));

    List<String> deliveries = new ArrayList<>();
    for (int i = 0; i < STEPS; i++) {
      String id = "noisy-" + i;
      assertThat(push(id, "octo/noisy").statusCode()).isEqualTo(202);
      deliveries.add(id);
    }
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> runs("RUNNING").size() + runs("SUCCEEDED").size() == STEPS);

    // while the steps print: a webhook is accepted and the API answers
    List<JsonNode> runningMeanwhile = runs("RUNNING");
    assertThat(push("meanwhile", "octo/other").statusCode()).isEqualTo(202);
    assertThat(get("/api/runs?pipeline=noisy").statusCode()).isEqualTo(200);
    assertThat(runningMeanwhile).as("steps still printing while the webhook came").isNotEmpty();

    await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .alias("all noisy runs SUCCEEDED; log:\n" + app.tail())
        .until(() -> runs("SUCCEEDED").size() == STEPS);
    assertThat(app.process().isAlive()).isTrue();

    for (JsonNode run : runs("SUCCEEDED")) {
      String event = run.get("event").asText();
      String endLine = "the end of " + event + "\n";
      long total = PRINTED + 1 + endLine.length();
      HttpResponse<String> log = get("/api/runs/" + run.get("id").asText() + "/steps/noisy/logs");
      assertThat(log.statusCode()).isEqualTo(200);
      assertThat(log.body())
          .as("the stored log of %s: head, marker, tail", event)
          .isEqualTo(
              "a".repeat(MAX_OUTPUT / 2)
                  + "\n"
                  + StepOutput.marker(total - MAX_OUTPUT)
                  + "a".repeat(MAX_OUTPUT / 2 - 1 - endLine.length())
                  + "\n"
                  + endLine);
    }
    assertThat(runs("SUCCEEDED"))
        .extracting(run -> run.get("event").asText())
        .containsExactlyInAnyOrderElementsOf(deliveries);
    assertThat(json.readTree(get("/actuator/health/liveness").body()).get("status").asText())
        .isEqualTo("UP");

    long peakAfterGcMb = peakHeapAfterGcMb(dir.resolve("gc.log"));
    System.out.printf(
        "LargeStepOutputIT: %d steps x %d bytes, -Xmx%dm: peak heap after GC %d MB%n",
        STEPS, PRINTED, HEAP_MB, peakAfterGcMb);
    assertThat(peakAfterGcMb)
        .as("heap left after garbage collection, from the GC log (MB)")
        .isPositive()
        .isLessThan(HEAP_MB * 3 / 4);
  }

  private ChildJvm startApp() throws IOException {
    port = RawHttp.freePort();
    Path routes = Files.createDirectories(dir.resolve("routes"));
    Path script = dir.resolve("noisy.sh");
    Files.writeString(
        script,
        "head -c "
            + PRINTED
            + " /dev/zero | tr '\\0' a\necho\necho \"the end of $CARAVAN_EVENT_ID\"\n");
    Files.writeString(
        routes.resolve("noisy.yaml"),
        """
        - route:
            id: noisy
            from:
              uri: event:github
              parameters:
                types: push
                subject: octo/noisy
              steps:
                - to:
                    uri: kjob:noisy
                    parameters:
                      timeout: 5m
                      script: "resource:file:%s"
        """
            .formatted(script));
    ChildJvm app =
        ChildJvm.start(
            dir.resolve("app.log"),
            List.of(
                "-Xmx" + HEAP_MB + "m",
                "-XX:+ExitOnOutOfMemoryError",
                "-Xlog:gc:file=" + dir.resolve("gc.log")),
            CaravanApplication.class.getName(),
            List.of(
                "--server.address=127.0.0.1",
                "--server.port=" + port,
                "--caravan.data-dir=" + dir.resolve("data"),
                "--caravan.routes-dir=" + routes,
                "--caravan.github.webhook-secret=" + SECRET,
                "--camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
                    + "classpath:routes/gateways/*.yaml",
                "--camel.component.kjob.executor=local",
                "--camel.component.kjob.local-work-dir=" + dir.resolve("work"),
                "--logging.file.name=" + dir.resolve("caravan.log")),
            true);
    children.add(app);
    return app;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> runs(String status) throws Exception {
    HttpResponse<String> answer = get("/api/runs?pipeline=noisy&status=" + status + "&limit=100");
    assertThat(answer.statusCode()).isEqualTo(200);
    List<JsonNode> found = new ArrayList<>();
    json.readTree(answer.body()).get("items").forEach(found::add);
    return found;
  }

  private HttpResponse<String> push(String delivery, String repository) throws Exception {
    byte[] body =
        ("{\"ref\":\"refs/heads/main\",\"after\":\""
                + delivery
                + "\",\"repository\":"
                + "{\"full_name\":\""
                + repository
                + "\"}}")
            .getBytes(StandardCharsets.UTF_8);
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", "push")
            .header("X-GitHub-Delivery", delivery)
            .header(
                "X-Hub-Signature-256",
                "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body)))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The largest heap occupancy right after a collection, in MB, over the whole GC log. */
  static long peakHeapAfterGcMb(Path gcLog) throws IOException {
    long peak = 0;
    for (String line : Files.readAllLines(gcLog)) {
      Matcher m = GC.matcher(line);
      if (m.find()) {
        peak = Math.max(peak, megabytes(Long.parseLong(m.group(3)), m.group(4)));
      }
    }
    return peak;
  }

  private static long megabytes(long value, String unit) {
    return switch (unit) {
      case "K" -> value / 1024;
      case "G" -> value * 1024;
      default -> value;
    };
  }
}
