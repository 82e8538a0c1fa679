package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.TestProcesses;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventConstants;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

// Spring Boot tests switch metrics export off unless asked
@AutoConfigureObservability
@SpringBootTest(
    classes = {CaravanApplication.class, RunsApiIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:runs-api;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.token=" + RunsApiIT.TOKEN
    })
class RunsApiIT extends ApiClientSupport {

  static final String TOKEN = "api-t0ken";
  static final Path DIR = createDir();

  RunsApiIT() {
    super(TOKEN);
  }

  @Autowired CamelContext camel;

  /** Test pipelines: their steps count their own starts in files under DIR. */
  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder apiPipelines() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          String counts = "&env.COUNTS=" + DIR;
          from("event:api-steps?types=go")
              .routeId("api-steps")
              .to("kjob:first?script=echo first-output" + counts)
              .to("kjob:second?script=echo second-output" + counts);
          from("event:api-follow")
              .routeId("api-follow")
              .to(
                  "kjob:slow?timeout=60s&env.GATE=${body[gate]}&script=echo one; while [ ! -f \"$GATE\" ];"
                      + " do sleep 0.1; done; echo two");
          from("event:api-cancel")
              .routeId("api-cancel")
              .to(
                  "kjob:hold?timeout=60s&env.PIDS=${body[pids]}&script=RAW(echo $$ > \"$PIDS\"; sleep 300 &"
                      + " echo $! >> \"$PIDS\"; wait)")
              .to("kjob:after?script=echo after >> \"$COUNTS/after\"" + counts);
          from("event:api-removed").routeId("api-removed").to("log:api-removed");
          from("event:api-replay")
              .routeId("api-replay")
              .to("kjob:build?script=echo build >> \"$COUNTS/build\"" + counts)
              .to(
                  "kjob:test?script=echo test >> \"$COUNTS/test\"; test -f \"$COUNTS/fixed\""
                      + counts);
        }
      };
    }
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("runs-api");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Publishes an event whose data is {@code {"n": 1}} plus the given fields. */
  private String publish(String source, String type, Map<String, Object> data) {
    String id = UUID.randomUUID().toString();
    Map<String, Object> body = new HashMap<>(data);
    body.put("n", 1);
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:" + source,
            body,
            Map.of(EventConstants.EVENT_ID, id, EventConstants.EVENT_TYPE, type));
    return id;
  }

  private JsonNode runOf(String eventId) throws Exception {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> getJson("/api/runs?event=" + eventId).get("items").size() > 0);
    String runId = getJson("/api/runs?event=" + eventId).get("items").get(0).get("id").asText();
    return getJson("/api/runs/" + runId);
  }

  @Test
  void eventsAreListedNewestFirstWithFiltersAndPaging() throws Exception {
    String first = publish("api-list", "a", Map.of());
    String second = publish("api-list", "b", Map.of());
    String third = publish("api-list", "a", Map.of());

    assertThat(getJson("/api/events?source=api-list").get("items"))
        .extracting(item -> item.get("id").asText())
        .containsExactly(third, second, first);
    assertThat(getJson("/api/events?source=api-list&type=a").get("items"))
        .extracting(item -> item.get("id").asText())
        .containsExactly(third, first);
    JsonNode page = getJson("/api/events?source=api-list&limit=1&offset=1");
    assertThat(page.get("items"))
        .extracting(item -> item.get("id").asText())
        .containsExactly(second);
    assertThat(page.get("limit").asInt()).isEqualTo(1);
    assertThat(page.get("offset").asInt()).isEqualTo(1);

    HttpResponse<String> one = get("/api/events/" + first);
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.headers().firstValue("Content-Type")).hasValue("application/cloudevents+json");
    JsonNode event = json.readTree(one.body());
    assertThat(event.get("specversion").asText()).isEqualTo("1.0");
    assertThat(event.get("source").asText()).isEqualTo("api-list");
    assertThat(event.get("data").get("n").asInt()).isEqualTo(1);

    assertJsonError(get("/api/events/no-such-event"), 404);
    assertJsonError(get("/api/events?limit=0"), 400);
    assertJsonError(get("/api/events?limit=501"), 400);
    assertJsonError(get("/api/events?offset=-1"), 400);
    assertJsonError(get("/api/events?limit=many"), 400);
  }

  @Test
  void pipelinesAreListedWithTheirSubscriptions() throws Exception {
    JsonNode pipelines = getJson("/api/pipelines").get("items");

    JsonNode steps = null;
    for (JsonNode pipeline : pipelines) {
      if (pipeline.get("id").asText().equals("api-steps")) {
        steps = pipeline;
      }
    }
    assertThat(steps).isNotNull();
    assertThat(steps.get("source").asText()).isEqualTo("api-steps");
    assertThat(steps.get("types")).extracting(JsonNode::asText).containsExactly("go");
    assertThat(steps.get("status").asText()).isEqualTo("STARTED");
  }

  @Test
  void aRemovedPipelineIsListedInactiveWithWhatWaitsForItAndCollectsNoMore() throws Exception {
    camel.getRouteController().stopRoute("api-removed");
    String waiting = publish("api-removed", "go", Map.of());
    camel.removeRoute("api-removed");

    String afterRemoval = publish("api-removed", "go", Map.of());

    JsonNode removed = null;
    for (JsonNode pipeline : getJson("/api/pipelines").get("items")) {
      if (pipeline.get("id").asText().equals("api-removed")) {
        removed = pipeline;
      }
    }
    assertThat(removed).as("the removed pipeline is still listed").isNotNull();
    assertThat(removed.get("active").asBoolean()).isFalse();
    assertThat(removed.get("status").asText()).isEqualTo("REMOVED");
    assertThat(removed.get("source").asText()).isEqualTo("api-removed");
    assertThat(removed.get("waiting").asInt()).isEqualTo(1);
    JsonNode one = getJson("/api/pipelines/api-removed");
    assertThat(one.get("active").asBoolean()).isFalse();
    assertThat(one.get("status").asText()).isEqualTo("REMOVED");
    assertThat(one.get("waiting").asInt()).isEqualTo(1);
    assertThat(one.get("graph").isNull()).isTrue();
    assertThat(getJson("/api/events/" + waiting + "/runs").get("items"))
        .extracting(run -> run.get("pipeline").asText() + " " + run.get("status").asText())
        .containsExactly("api-removed PENDING");
    assertThat(getJson("/api/events/" + afterRemoval).get("id").asText()).isEqualTo(afterRemoval);
    assertThat(getJson("/api/events/" + afterRemoval + "/runs").get("items"))
        .as("the event after the removal was stored, but queued for no one")
        .isEmpty();
  }

  @Test
  void runsAreListedFilteredAndShownWithTheirStepsAndLogs() throws Exception {
    String eventId = publish("api-steps", "go", Map.of());

    String runId = runOf(eventId).get("id").asText();
    JsonNode run = awaitRun(runId, "SUCCEEDED");

    assertThat(run.get("pipeline").asText()).isEqualTo("api-steps");
    assertThat(run.get("event").asText()).isEqualTo(eventId);
    assertThat(run.get("steps"))
        .extracting(step -> step.get("name").asText() + ":" + step.get("status").asText())
        .containsExactly("first:SUCCEEDED", "second:SUCCEEDED");
    assertThat(run.get("steps").get(0).get("exitCode").asInt()).isZero();
    assertThat(getJson("/api/runs?pipeline=api-steps&status=SUCCEEDED").get("items"))
        .extracting(item -> item.get("id").asText())
        .contains(runId);
    assertThat(getJson("/api/runs?pipeline=api-steps&status=failed").get("items"))
        .extracting(item -> item.get("id").asText())
        .doesNotContain(runId);
    assertThat(getJson("/api/runs?pipeline=api-steps&limit=1").get("items")).hasSize(1);
    HttpResponse<String> log = get("/api/runs/" + runId + "/steps/first/logs");
    assertThat(log.statusCode()).isEqualTo(200);
    assertThat(log.body()).isEqualTo("first-output\n");

    assertJsonError(get("/api/runs/" + runId + "/steps/nope/logs"), 404);
    assertJsonError(get("/api/runs/no-such-run"), 404);
    assertJsonError(get("/api/runs/no-such-run/steps/first/logs"), 404);
    assertJsonError(get("/api/runs?status=bogus"), 400);
    assertJsonError(post("/api/runs/no-such-run/cancel"), 404);
  }

  @Test
  void logFollowStreamsWhileTheStepIsStillWriting() throws Exception {
    Path gate = DIR.resolve("gate-" + UUID.randomUUID());
    String runId =
        runOf(publish("api-follow", "go", Map.of("gate", gate.toString()))).get("id").asText();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> getJson("/api/runs/" + runId).get("steps").get(0).get("status").asText(),
            "RUNNING"::equals);

    HttpResponse<InputStream> follow =
        http.send(
            request("/api/runs/" + runId + "/steps/slow/logs?follow=true").GET().build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(follow.statusCode()).isEqualTo(200);
    try (InputStream stream = follow.body()) {
      StringBuilder seen = new StringBuilder();
      while (!seen.toString().contains("one\n")) {
        int b = stream.read();
        assertThat(b).as("stream ended before the first line").isNotNegative();
        seen.append((char) b);
      }
      assertThat(getJson("/api/runs/" + runId).get("status").asText())
          .as("the step is still running while its first line arrived")
          .isEqualTo("RUNNING");
      Files.createFile(gate);
      String rest = new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(seen + rest).isEqualTo("one\ntwo\n");
    }
    awaitRun(runId, "SUCCEEDED");
  }

  @Test
  void cancelKillsTheRunningProcessTreeAndNoFurtherStepStarts() throws Exception {
    Path pids = DIR.resolve("pids-" + UUID.randomUUID());
    String runId =
        runOf(publish("api-cancel", "go", Map.of("pids", pids.toString()))).get("id").asText();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Files.exists(pids) && Files.readAllLines(pids).size() == 2);
    List<ProcessHandle> processes =
        Files.readAllLines(pids).stream()
            .map(Long::parseLong)
            .map(TestProcesses::runningOrFail)
            .toList();

    HttpResponse<String> canceled = post("/api/runs/" + runId + "/cancel");

    assertThat(canceled.statusCode()).isEqualTo(202);
    assertThat(json.readTree(canceled.body()).get("status").asText()).isEqualTo("CANCELED");
    assertThat(json.readTree(canceled.body()).get("stopped")).hasSize(1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> processes.stream().noneMatch(TestProcesses::alive));
    JsonNode run = awaitRun(runId, "CANCELED");
    assertThat(run.get("steps"))
        .extracting(step -> step.get("name").asText() + ":" + step.get("status").asText())
        .containsExactly("hold:CANCELED", "after:SKIPPED");
    assertThat(DIR.resolve("after")).doesNotExist();
    assertJsonError(post("/api/runs/" + runId + "/cancel"), 409);
  }

  @Test
  void replayRunsEveryStepAgainOrReusesTheSucceededOnes() throws Exception {
    String eventId = publish("api-replay", "go", Map.of());
    String firstRun = runOf(eventId).get("id").asText();
    awaitRun(firstRun, "FAILED");
    assertThat(Files.readAllLines(DIR.resolve("build"))).hasSize(1);
    Files.createFile(DIR.resolve("fixed"));

    HttpResponse<String> keep = post("/api/events/" + eventId + "/replay?keepSucceeded=true");

    assertThat(keep.statusCode()).isEqualTo(202);
    JsonNode keptRun = json.readTree(keep.body()).get("runs").get(0);
    assertThat(keptRun.get("pipeline").asText()).isEqualTo("api-replay");
    assertThat(keptRun.get("reuseFrom").asText()).isEqualTo(firstRun);
    awaitRun(keptRun.get("id").asText(), "SUCCEEDED");
    assertThat(Files.readAllLines(DIR.resolve("build"))).as("build reused").hasSize(1);
    assertThat(Files.readAllLines(DIR.resolve("test"))).hasSize(2);

    HttpResponse<String> again = post("/api/events/" + eventId + "/replay");

    String fullRun = json.readTree(again.body()).get("runs").get(0).get("id").asText();
    awaitRun(fullRun, "SUCCEEDED");
    assertThat(Files.readAllLines(DIR.resolve("build"))).as("build ran again").hasSize(2);
    assertThat(Files.readAllLines(DIR.resolve("test"))).hasSize(3);
    assertThat(getJson("/api/runs?event=" + eventId).get("items")).hasSize(3);
    assertJsonError(post("/api/events/no-such-event/replay"), 404);
  }

  @Test
  void theApiNeedsTheConfiguredToken() throws Exception {
    HttpRequest.Builder anonymous =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/runs"));

    assertJsonError(http.send(anonymous.GET().build(), HttpResponse.BodyHandlers.ofString()), 401);
    assertJsonError(
        http.send(
            anonymous.header("Authorization", "Bearer wrong").GET().build(),
            HttpResponse.BodyHandlers.ofString()),
        401);
    assertThat(get("/api/runs").statusCode()).isEqualTo(200);
  }

  @Test
  void metricsCountEventsAndRuns() throws Exception {
    String eventId = publish("api-steps", "go", Map.of());
    awaitRun(runOf(eventId).get("id").asText(), "SUCCEEDED");

    String metrics = get("/actuator/prometheus").body();

    assertThat(metrics)
        .contains("caravan_events_received_total{source=\"api-steps\",type=\"go\"}")
        .contains("caravan_runs_finished_total{pipeline=\"api-steps\",status=\"SUCCEEDED\"}")
        .contains("caravan_steps_duration_seconds_count")
        .contains("caravan_steps_in_flight");
  }
}
