package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventConstants;
import dev.caravan.run.LogTail;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * {@code GET /api/runs/{id}} over HTTP for runs of real pipelines with local steps: the graph with
 * a state per node, a split's items and counts, a choice's branches, planned steps, the numeric
 * fan-out index, and the reason of a FAILED and of a TIMED_OUT run with their last log lines.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, RunGraphIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:run-graph;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200"
    })
class RunGraphIT {

  static final Path DIR = createDir();

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder runGraphPipelines() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:graph-split")
              .routeId("graph-split")
              .split(simple("${body[items]}"))
              .to(
                  "kjob:item?env.ITEM=${body}&script=RAW(echo \"testing $ITEM\"; if [ \"$ITEM\" ="
                      + " bad ]; then for i in $(seq 1 30); do echo \"line $i\"; done; echo \"bad"
                      + " item $ITEM\"; exit 3; fi)")
              .end()
              .to("kjob:after?script=echo after");
          from("event:graph-choice")
              .routeId("graph-choice")
              .choice()
              .when(simple("${body[deploy]} == true"))
              .to(
                  "kjob:deploy?timeout=60s&env.GATE=${body[gate]}&script=RAW(echo deploying;"
                      + " while [ ! -f \"$GATE\" ]; do sleep 0.1; done)")
              .otherwise()
              .to("kjob:notify?script=echo notify")
              .end()
              .to("kjob:slow?timeout=1500ms&script=RAW(echo slow start; sleep 30)");
          from("event:graph-throw")
              .routeId("graph-throw")
              .to("kjob:build?script=echo built")
              .throwException(new IllegalStateException("no release notes\nfor 1.2"))
              .to("kjob:publish?script=echo published");
        }
      };
    }
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("run-graph");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String publish(String source, Map<String, Object> data) {
    String id = UUID.randomUUID().toString();
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:" + source,
            data,
            Map.of(EventConstants.EVENT_ID, id, EventConstants.EVENT_TYPE, "go"));
    return id;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = get(path);
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private String runOf(String eventId) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> getJson("/api/runs?event=" + eventId).get("items"), items -> items.size() > 0)
        .get(0)
        .get("id")
        .asText();
  }

  private JsonNode awaitRun(String runId, String status) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> getJson("/api/runs/" + runId), run -> status.equals(run.get("status").asText()));
  }

  /** "kind name: STATE" of every node, depth first. */
  private static List<String> states(JsonNode node) {
    List<String> states = new ArrayList<>();
    collect(node, "", states);
    return states;
  }

  private static void collect(JsonNode node, String indent, List<String> states) {
    states.add(
        indent
            + node.get("kind").asText()
            + " "
            + node.get("name").asText()
            + ": "
            + node.get("state").asText());
    node.get("children").forEach(child -> collect(child, indent + "  ", states));
  }

  private static List<String> steps(JsonNode run) {
    List<String> steps = new ArrayList<>();
    run.get("steps")
        .forEach(
            step ->
                steps.add(
                    step.get("name").asText()
                        + step.get("fanOutIndex")
                        + ":"
                        + step.get("status").asText()));
    return steps;
  }

  @Test
  void aFailedItemOfASplitIsCountedAndNamedInTheReasonWithItsLastLines() throws Exception {
    String runId = runOf(publish("graph-split", Map.of("items", List.of("a", "bad", "c"))));

    JsonNode run = awaitRun(runId, "FAILED");

    assertThat(states(run.get("graph")))
        .containsExactly(
            "sequence graph-split: FAILED",
            "  split split: FAILED",
            "    step item: FAILED",
            "  step after: SKIPPED");
    JsonNode split = run.get("graph").get("children").get(0);
    assertThat(split.get("counts").toString()).isEqualTo("{\"SUCCEEDED\":2,\"FAILED\":1}");
    assertThat(split.get("items").toString())
        .isEqualTo(
            "[{\"index\":0,\"state\":\"SUCCEEDED\"},{\"index\":1,\"state\":\"FAILED\"},"
                + "{\"index\":2,\"state\":\"SUCCEEDED\"}]");
    JsonNode item = split.get("children").get(0);
    assertThat(item.get("items").get(1).get("index").isNumber()).isTrue();
    assertThat(item.get("items").get(1).get("exitCode").asInt()).isEqualTo(3);
    assertThat(steps(run))
        .containsExactly("item0:SUCCEEDED", "item1:FAILED", "item2:SUCCEEDED", "afternull:SKIPPED");

    JsonNode reason = run.get("reason");
    assertThat(reason.get("status").asText()).isEqualTo("FAILED");
    assertThat(reason.get("step").asText()).isEqualTo("item");
    assertThat(reason.get("fanOutIndex").asInt()).isEqualTo(1);
    assertThat(reason.get("exitCode").asInt()).isEqualTo(3);
    List<String> lines = reason.get("log").asText().lines().toList();
    assertThat(lines).hasSize(LogTail.MAX_LINES).endsWith("line 30", "bad item bad");
    assertThat(lines.get(0)).isEqualTo("line 12");

    assertThat(get("/api/runs/" + runId + "/steps/item/logs?index=1").body())
        .startsWith("testing bad\n")
        .endsWith("bad item bad\n");
    assertThat(get("/api/runs/" + runId + "/steps/item/logs?index=2").body())
        .isEqualTo("testing c\n");
    assertThat(get("/api/runs/" + runId + "/steps/item/logs?index=7").statusCode()).isEqualTo(404);
    assertThat(getJson("/api/runs?pipeline=graph-split").get("items").get(0).has("graph"))
        .as("lists stay light: no graph per item")
        .isFalse();
  }

  @Test
  void aChoiceShowsItsBranchesPlannedStepsArePendingAndATimedOutStepSaysSo() throws Exception {
    Path gate = DIR.resolve("gate-" + UUID.randomUUID());
    String runId = runOf(publish("graph-choice", Map.of("deploy", true, "gate", gate.toString())));

    JsonNode running =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> getJson("/api/runs/" + runId),
                run -> run.get("steps").get(0).get("status").asText().equals("RUNNING"));
    assertThat(states(running.get("graph")))
        .containsExactly(
            "sequence graph-choice: RUNNING",
            "  choice choice: RUNNING",
            "    when when: RUNNING",
            "      step deploy: RUNNING",
            "    otherwise otherwise: SKIPPED",
            "      step notify: SKIPPED",
            "  step slow: PENDING");
    assertThat(steps(running))
        .containsExactly("deploynull:RUNNING", "notifynull:SKIPPED", "slownull:PENDING");
    assertThat(running.get("reason").isNull()).isTrue();

    Files.createFile(gate);
    JsonNode run = awaitRun(runId, "TIMED_OUT");

    assertThat(states(run.get("graph")))
        .containsExactly(
            "sequence graph-choice: TIMED_OUT",
            "  choice choice: SUCCEEDED",
            "    when when: SUCCEEDED",
            "      step deploy: SUCCEEDED",
            "    otherwise otherwise: SKIPPED",
            "      step notify: SKIPPED",
            "  step slow: TIMED_OUT");
    JsonNode reason = run.get("reason");
    assertThat(reason.get("status").asText()).isEqualTo("TIMED_OUT");
    assertThat(reason.get("step").asText()).isEqualTo("slow");
    assertThat(reason.get("fanOutIndex").isNull()).isTrue();
    assertThat(reason.get("log").asText())
        .isEqualTo("slow start\n[caravan: timed out after 1s500ms]\n");
    assertThat(get("/api/runs/" + runId + "/steps/slow/logs").body())
        .isEqualTo("slow start\n[caravan: timed out after 1s500ms]\n");
  }

  @Test
  void aRunEndedByAProcessorThatThrewHasItsMessageAsTheReason() throws Exception {
    String runId = runOf(publish("graph-throw", Map.of()));

    JsonNode run = awaitRun(runId, "FAILED");

    assertThat(states(run.get("graph")))
        .containsExactly(
            "sequence graph-throw: FAILED",
            "  step build: SUCCEEDED",
            "  other throwException: SKIPPED",
            "  step publish: SKIPPED");
    JsonNode reason = run.get("reason");
    assertThat(reason.get("step").isNull()).isTrue();
    assertThat(reason.get("exitCode").isNull()).isTrue();
    assertThat(reason.get("log").isNull()).isTrue();
    assertThat(reason.get("error").asText())
        .isEqualTo("IllegalStateException: no release notes\\nfor 1.2");
    assertThat(steps(run)).containsExactly("buildnull:SUCCEEDED", "publishnull:SKIPPED");
  }
}
