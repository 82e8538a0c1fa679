package dev.caravan.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventComponent;
import dev.caravan.gateway.Signatures;
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
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * 50 concurrent redeliveries of one signed GitHub delivery: one is accepted, the others are
 * duplicates, one event is stored, one run per subscribed pipeline starts and the step runs once.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, DuplicateDeliveriesIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.github.webhook-secret=" + DuplicateDeliveriesIT.SECRET,
      "spring.datasource.url=jdbc:h2:mem:duplicate-deliveries-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200"
    })
class DuplicateDeliveriesIT {

  static final String SECRET = "dup-secret-3f9a";
  static final Path DIR = createDir();
  private static final int DELIVERIES = 50;

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final ObjectMapper json = new ObjectMapper();

  /** A pipeline subscribed to github push whose step appends one line per process start. */
  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder duplicatePipeline() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:github?types=push&subject=octo/dup")
              .routeId("dup-counter")
              .to(
                  "kjob:count?env.STARTS="
                      + DIR.resolve("starts")
                      + "&env.AFTER=${body[after]}&script=echo \"$AFTER\" >> \"$STARTS\"");
        }
      };
    }
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("duplicate-deliveries");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String push(String after) {
    return "{\"ref\":\"refs/heads/main\",\"after\":\""
        + after
        + "\",\"repository\":{\"full_name\":\"octo/dup\","
        + "\"clone_url\":\"https://github.com/octo/dup.git\"}}";
  }

  private HttpRequest delivery(String id, String payload) {
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    String signature =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body));
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
        .header("Content-Type", "application/json")
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", id)
        .header("X-Hub-Signature-256", signature)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private JsonNode runsOf(String eventId) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/runs?event=" + eventId))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return json.readTree(response.body()).get("items");
  }

  private static Map<String, Integer> perPipeline(JsonNode runs) {
    Map<String, Integer> counts = new TreeMap<>();
    runs.forEach(run -> counts.merge(run.get("pipeline").asText(), 1, Integer::sum));
    return counts;
  }

  private boolean ended(JsonNode runs, String pipeline) {
    for (JsonNode run : runs) {
      String status = run.get("status").asText();
      if (run.get("pipeline").asText().equals(pipeline)
          && !status.equals("PENDING")
          && !status.equals("RUNNING")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void fiftyConcurrentRedeliveriesStoreOneEventAndStartOneRunPerSubscriber() throws Exception {
    String id = "dup-" + UUID.randomUUID();
    String commit = "c0ffee" + System.nanoTime();
    HttpRequest request = delivery(id, push(commit));
    // one client per thread: 50 separate connections hit the server at once
    ExecutorService pool = Executors.newFixedThreadPool(DELIVERIES);
    CountDownLatch ready = new CountDownLatch(DELIVERIES);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<HttpResponse<String>>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < DELIVERIES; i++) {
        HttpClient client = HttpClient.newHttpClient();
        answers.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  start.await();
                  return client.send(request, HttpResponse.BodyHandlers.ofString());
                }));
      }
      assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
      start.countDown();

      int accepted = 0;
      int duplicates = 0;
      JsonNode acceptedRuns = null;
      List<JsonNode> duplicateRuns = new ArrayList<>();
      for (Future<HttpResponse<String>> answer : answers) {
        HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);
        JsonNode body = json.readTree(response.body());
        assertThat(body.get("id").asText()).isEqualTo(id);
        if (response.statusCode() == 202) {
          accepted++;
          assertThat(body.has("duplicate")).isFalse();
          acceptedRuns = body.get("runs");
        } else {
          assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
          assertThat(body.get("duplicate").asBoolean()).isTrue();
          duplicateRuns.add(body.get("runs"));
          duplicates++;
        }
      }
      assertThat(accepted).isEqualTo(1);
      // a duplicate names the runs the stored event got with it: the same for each
      JsonNode queued = acceptedRuns;
      assertThat(perPipeline(queued)).isEqualTo(Map.of("dup-counter", 1, "on-push", 1));
      assertThat(duplicateRuns).allSatisfy(runs -> assertThat(runs).isEqualTo(queued));
      assertThat(duplicates).isEqualTo(DELIVERIES - 1);
    } finally {
      pool.shutdownNow();
    }

    var store = camel.getComponent("event", EventComponent.class).getStore();
    assertThat(store.find(id)).isPresent();

    // the subscribers of github push: the test pipeline and the on-push example
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ended(runsOf(id), "dup-counter") && ended(runsOf(id), "on-push"));

    // a later delivery of another id passes through the same dispatch: once its run has ended,
    // any second run of the first event would have started too
    String later = "dup-later-" + UUID.randomUUID();
    assertThat(
            HttpClient.newHttpClient()
                .send(delivery(later, push("later")), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(202);
    await().atMost(Duration.ofSeconds(30)).until(() -> ended(runsOf(later), "dup-counter"));

    assertThat(perPipeline(runsOf(id)))
        .containsExactlyEntriesOf(new TreeMap<>(Map.of("dup-counter", 1, "on-push", 1)));
    List<String> starts = Files.readAllLines(DIR.resolve("starts"));
    assertThat(starts).as("process starts").containsExactlyInAnyOrder(commit, "later");
    assertThat(store.find(later)).isPresent();
  }
}
