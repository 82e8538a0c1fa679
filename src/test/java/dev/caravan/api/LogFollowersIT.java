package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import dev.caravan.gateway.Signatures;
import dev.caravan.run.RunStatus;
import dev.caravan.run.Runs;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Log followers hold no thread, go when their client goes, and are capped: 100 clients follow a
 * quiet step (one that printed a line and then waits), one more is refused, all 100 disconnect and
 * the follower gauge is back at 0 within seconds, while signed GitHub deliveries keep being
 * answered 202 quickly throughout.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, QuietStepFollowers.QuietPipeline.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:log-followers;DB_CLOSE_DELAY=-1",
      "camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
          + "classpath:routes/gateways/*.yaml",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.github.webhook-secret=" + LogFollowersIT.SECRET,
      "caravan.api.max-followers=" + LogFollowersIT.MAX
    })
class LogFollowersIT {

  static final String SECRET = "followers-secret-5d1";
  static final int MAX = 100;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @LocalServerPort int port;
  @Autowired CamelContext camel;
  @Autowired MeterRegistry meters;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final List<Socket> sockets = new ArrayList<>();
  private Path gate;

  @AfterEach
  void releaseAndClose() throws IOException {
    if (gate != null && !Files.exists(gate)) {
      Files.createFile(gate);
    }
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  private double followers() {
    return QuietStepFollowers.followers(meters);
  }

  private HttpRequest delivery(int n) {
    byte[] body =
        ("{\"ref\":\"refs/heads/main\",\"after\":\"f"
                + n
                + "\",\"repository\":{\"full_name\":\"octo/followed\"}}")
            .getBytes(StandardCharsets.UTF_8);
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", "followers-" + n + "-" + UUID.randomUUID())
        .header(
            "X-Hub-Signature-256",
            "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body)))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  @Test
  void hundredFollowersWhoLeaveAreGoneWithinSecondsOneMoreIsRefusedAndGatewaysKeepAnswering()
      throws Exception {
    gate = Files.createTempDirectory("followers").resolve("gate");
    String runId = QuietStepFollowers.startQuietRun(camel, gate, WAIT);
    String path = QuietStepFollowers.followPath(runId);

    // deliveries all along, one after the other
    AtomicBoolean delivering = new AtomicBoolean(true);
    List<Long> latencies = new CopyOnWriteArrayList<>();
    List<Integer> statuses = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> deliveries =
        CompletableFuture.runAsync(
            () -> {
              for (int n = 0; delivering.get() || n < 20; n++) {
                long start = System.nanoTime();
                try {
                  statuses.add(
                      http.send(delivery(n), HttpResponse.BodyHandlers.discarding()).statusCode());
                } catch (IOException | InterruptedException e) {
                  statuses.add(-1);
                }
                latencies.add(System.nanoTime() - start);
              }
            });

    for (int i = 0; i < MAX; i++) {
      sockets.add(QuietStepFollowers.follow(port, path, WAIT));
    }
    assertThat(followers()).isEqualTo(MAX);

    HttpResponse<String> refused =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After"))
        .hasValueSatisfying(seconds -> assertThat(Integer.parseInt(seconds)).isPositive());
    JsonNode error = json.readTree(refused.body());
    assertThat(error.get("error").asText()).isEqualTo("too many log followers");
    assertThat(error.get("detail").asText()).contains("caravan.api.max-followers");

    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
    await()
        .atMost(Duration.ofSeconds(5))
        .alias("the gauge of followers back at 0 after their clients left")
        .until(() -> followers() == 0);

    // a follower now is served to the end of the step
    HttpResponse<InputStream> last =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(last.statusCode()).isEqualTo(200);
    await().atMost(WAIT).until(() -> followers() == 1);
    Files.createFile(gate);
    try (InputStream stream = last.body()) {
      assertThat(new String(stream.readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("waiting\ndone\n");
    }
    await().atMost(WAIT).until(() -> followers() == 0);
    await()
        .atMost(WAIT)
        .until(
            () -> Runs.of(camel).store().run(runId).orElseThrow().status() == RunStatus.SUCCEEDED);

    delivering.set(false);
    deliveries.get();
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    double p99Millis = sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6;
    System.out.printf(
        "LogFollowersIT: %d GitHub deliveries while %d clients followed and left, p99 %.1f ms,"
            + " max %.1f ms%n",
        sorted.length, MAX, p99Millis, sorted[sorted.length - 1] / 1e6);
    assertThat(statuses).as("answers to the deliveries").hasSizeGreaterThan(20).containsOnly(202);
    assertThat(p99Millis).as("p99 of the deliveries in ms").isLessThan(1000);
  }
}
