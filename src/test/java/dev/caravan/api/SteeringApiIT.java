package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanApplication;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.springframework.context.annotation.Bean;

/**
 * Steering runs over HTTP: the runs a gateway's 202 names, run now, retry and rerun; each run is
 * followed until it really ran, its steps counting their starts in files under DIR.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, SteeringApiIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:steering-api;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.token=" + SteeringApiIT.TOKEN,
      "caravan.webhook.tokens.steer=" + SteeringApiIT.WEBHOOK_TOKEN,
      "caravan.gateways.max-body-bytes=65536"
    })
class SteeringApiIT extends ApiClientSupport {

  static final String TOKEN = "steer-api-t0ken";
  static final String WEBHOOK_TOKEN = "steer-webhook-t0ken";
  static final Path DIR = createDir();

  SteeringApiIT() {
    super(TOKEN);
  }

  @Autowired CamelContext camel;

  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder steeringPipelines() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          String counts = "&env.COUNTS=" + DIR;
          // two pipelines for the same webhook events: one event, two runs
          from("event:webhook/steer?types=built")
              .routeId("steer-notify")
              .to("kjob:notify?script=echo notify >> \"$COUNTS/notify\"" + counts);
          from("event:webhook/steer?types=built")
              .routeId("steer-archive")
              .to("kjob:archive?script=echo archive >> \"$COUNTS/archive\"" + counts);
          // a cron pipeline, run by hand; the step shows what it learns of the event
          from("event:cron?types=cron:steer-nightly")
              .routeId("steer-nightly")
              .to(
                  "kjob:report?env.WHO=${body[who]}&script=echo \"$CARAVAN_EVENT_SOURCE"
                      + " $CARAVAN_EVENT_TYPE $CARAVAN_EVENT_SUBJECT $WHO\"");
          // would match every event run by hand, if run now fanned out
          from("event:*?types=manual,cron:steer-nightly").routeId("steer-any").to("log:steer-any");
          // build succeeds, test fails until the file "fixed" exists
          from("event:steer-retry")
              .routeId("steer-retry")
              .to("kjob:build?script=echo build >> \"$COUNTS/build\"" + counts)
              .to(
                  "kjob:test?script=echo test >> \"$COUNTS/test\"; test -f \"$COUNTS/fixed\""
                      + counts);
          // holds until its gate file exists
          from("event:steer-hold")
              .routeId("steer-hold")
              .to(
                  "kjob:hold?timeout=60s&env.GATE=${body[gate]}&script=while [ ! -f \"$GATE\" ];"
                      + " do sleep 0.1; done");
          from("event:steer-refused").routeId("steer-refused").to("log:steer-refused");
          from("event:steer-stopped").routeId("steer-stopped").to("log:steer-stopped");
          from("event:steer-removed").routeId("steer-removed").to("log:steer-removed");
        }
      };
    }
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("steering-api");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> lines(String file) throws IOException {
    Path path = DIR.resolve(file);
    return Files.exists(path) ? Files.readAllLines(path) : List.of();
  }

  private static List<String> texts(JsonNode array, String field) {
    List<String> values = new ArrayList<>();
    array.forEach(item -> values.add(item.get(field).asText()));
    return values;
  }

  private HttpResponse<String> webhook(String eventId) throws Exception {
    return send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/webhook/steer"))
            .header("Authorization", "Bearer " + WEBHOOK_TOKEN)
            .header("Content-Type", "application/json")
            .header("X-Event-Type", "built")
            .header("X-Event-Id", eventId)
            .POST(HttpRequest.BodyPublishers.ofString("{\"build\": 7}")));
  }

  @Test
  void aGatewayAnswersWithTheRunsQueuedForTheEventAndWhereToFindIt() throws Exception {
    String eventId = "steer-" + UUID.randomUUID();

    HttpResponse<String> accepted = webhook(eventId);

    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    assertThat(accepted.headers().firstValue("Location")).hasValue("/api/events/" + eventId);
    JsonNode answer = json.readTree(accepted.body());
    assertThat(answer.get("id").asText()).isEqualTo(eventId);
    JsonNode runs = answer.get("runs");
    assertThat(texts(runs, "pipeline")).containsExactlyInAnyOrder("steer-notify", "steer-archive");
    for (JsonNode run : runs) {
      // the run ids of the answer are the runs' own
      JsonNode ended = awaitRun(run.get("id").asText(), "SUCCEEDED");
      assertThat(ended.get("event").asText()).isEqualTo(eventId);
      assertThat(ended.get("pipeline").asText()).isEqualTo(run.get("pipeline").asText());
    }
    assertThat(lines("notify")).hasSize(1);
    assertThat(lines("archive")).hasSize(1);

    JsonNode event = getJson(accepted.headers().firstValue("Location").orElseThrow());
    assertThat(event.get("id").asText()).isEqualTo(eventId);
    JsonNode listed = getJson("/api/events/" + eventId + "/runs");
    assertThat(texts(listed.get("items"), "id"))
        .containsExactlyInAnyOrderElementsOf(texts(runs, "id"));
    JsonNode item = listed.get("items").get(0);
    JsonNode sameInRunsList = getJson("/api/runs?event=" + eventId).get("items").get(0);
    assertThat(item).isEqualTo(sameInRunsList);

    HttpResponse<String> again = webhook(eventId);

    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    JsonNode duplicate = json.readTree(again.body());
    assertThat(duplicate.get("duplicate").asBoolean()).isTrue();
    assertThat(texts(duplicate.get("runs"), "id")).containsExactlyElementsOf(texts(runs, "id"));
    assertThat(getJson("/api/events/" + eventId + "/runs").get("items")).hasSize(2);
    assertJsonError(send(request("/api/events/no-such-event/runs").GET()), 404);
  }

  @Test
  void runNowStartsOnlyThatPipelineForANewManualEvent() throws Exception {
    HttpResponse<String> started =
        post("/api/pipelines/steer-nightly/runs?subject=by-hand", "{\"who\": \"Ada & co\"}");

    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    JsonNode answer = json.readTree(started.body());
    String eventId = answer.get("event").asText();
    String runId = answer.get("run").get("id").asText();
    assertThat(answer.get("run").get("pipeline").asText()).isEqualTo("steer-nightly");
    assertThat(started.headers().firstValue("Location")).hasValue("/api/runs/" + runId);
    awaitRun(runId, "SUCCEEDED");
    HttpResponse<String> log = send(request("/api/runs/" + runId + "/steps/report/logs").GET());
    assertThat(log.body()).isEqualTo("manual manual by-hand Ada & co\n");

    JsonNode event = getJson("/api/events/" + eventId);
    assertThat(event.get("source").asText()).isEqualTo("manual");
    assertThat(event.get("data").get("who").asText()).isEqualTo("Ada & co");
    // steer-any matches the event too, but the event was queued for steer-nightly alone
    assertThat(texts(getJson("/api/events/" + eventId + "/runs").get("items"), "pipeline"))
        .containsExactly("steer-nightly");

    HttpResponse<String> typed =
        post("/api/pipelines/steer-nightly/runs?type=cron:steer-nightly", "");
    assertThat(typed.statusCode()).as(typed.body()).isEqualTo(202);
    JsonNode typedAnswer = json.readTree(typed.body());
    String typedRun = typedAnswer.get("run").get("id").asText();
    awaitRun(typedRun, "SUCCEEDED");
    assertThat(send(request("/api/runs/" + typedRun + "/steps/report/logs").GET()).body())
        .isEqualTo("manual cron:steer-nightly  \n");
    assertThat(
            texts(
                getJson("/api/events/" + typedAnswer.get("event").asText() + "/runs").get("items"),
                "pipeline"))
        .containsExactly("steer-nightly");
  }

  @Test
  void runNowRefusesUnknownStoppedOrRemovedPipelinesAndBadJson() throws Exception {
    assertJsonError(post("/api/pipelines/no-such-pipeline/runs", "{}"), 404);
    // a route, but not a pipeline
    assertJsonError(post("/api/pipelines/generic-webhook/runs", "{}"), 404);
    assertJsonError(post("/api/pipelines/steer-refused/runs", "{\"who\": "), 400);
    assertJsonError(post("/api/pipelines/steer-refused/runs?type=bad%01type", "{}"), 400);
    assertJsonError(
        post("/api/pipelines/steer-refused/runs", "{\"who\": \"" + "x".repeat(70_000) + "\"}"),
        413);
    // curl -d without a content type declares a form
    assertJsonError(
        send(
            request("/api/pipelines/steer-refused/runs")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("{\"who\": \"Ada\"}"))),
        415);
    assertThat(getJson("/api/runs?pipeline=steer-refused").get("items"))
        .as("nothing refused was run")
        .isEmpty();

    camel.getRouteController().stopRoute("steer-stopped");
    assertJsonError(post("/api/pipelines/steer-stopped/runs", "{}"), 409);
    camel.getRouteController().stopRoute("steer-removed");
    camel.removeRoute("steer-removed");
    assertJsonError(post("/api/pipelines/steer-removed/runs", "{}"), 409);

    HttpResponse<String> anonymous =
        send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/api/pipelines/steer-nightly/runs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertJsonError(anonymous, 401);
  }

  @Test
  void retryReusesTheSucceededStepsAndRerunRunsThemAllAgain() throws Exception {
    String failed =
        json.readTree(post("/api/pipelines/steer-retry/runs", "{}").body())
            .get("run")
            .get("id")
            .asText();
    awaitRun(failed, "FAILED");
    assertThat(lines("build")).hasSize(1);
    assertThat(lines("test")).hasSize(1);
    Files.createFile(DIR.resolve("fixed"));

    HttpResponse<String> retried = post("/api/runs/" + failed + "/retry");

    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(202);
    JsonNode retry = json.readTree(retried.body());
    assertThat(retry.get("pipeline").asText()).isEqualTo("steer-retry");
    assertThat(retry.get("retryOf").asText()).isEqualTo(failed);
    JsonNode retryRun = awaitRun(retry.get("id").asText(), "SUCCEEDED");
    assertThat(lines("build")).as("build ran once across the retry").hasSize(1);
    assertThat(lines("test")).hasSize(2);
    assertThat(retryRun.get("retryOf").asText()).isEqualTo(failed);
    assertThat(retryRun.get("reuseFrom").asText()).isEqualTo(failed);
    assertThat(retryRun.get("event").asText())
        .isEqualTo(getJson("/api/runs/" + failed).get("event").asText());
    assertThat(retryRun.get("steps"))
        .extracting(step -> step.get("name").asText() + ":" + step.get("status").asText())
        .containsExactly("build:SUCCEEDED", "test:SUCCEEDED");

    HttpResponse<String> rerun = post("/api/runs/" + failed + "/rerun");

    assertThat(rerun.statusCode()).as(rerun.body()).isEqualTo(202);
    JsonNode again = json.readTree(rerun.body());
    assertThat(again.get("retryOf").asText()).isEqualTo(failed);
    JsonNode rerunRun = awaitRun(again.get("id").asText(), "SUCCEEDED");
    assertThat(lines("build")).as("build ran afresh").hasSize(2);
    assertThat(lines("test")).hasSize(3);
    assertThat(rerunRun.get("retryOf").asText()).isEqualTo(failed);
    assertThat(rerunRun.get("reuseFrom").isNull()).isTrue();
    assertThat(getJson("/api/runs/" + failed).get("retryOf").isNull()).isTrue();

    assertJsonError(post("/api/runs/no-such-run/retry"), 404);
    assertJsonError(post("/api/runs/no-such-run/rerun"), 404);
  }

  @Test
  void aRunStillInFlightIsNotRetried() throws Exception {
    Path gate = DIR.resolve("gate-" + UUID.randomUUID());
    String runId =
        json.readTree(
                post(
                        "/api/pipelines/steer-hold/runs",
                        json.writeValueAsString(Map.of("gate", gate.toString())))
                    .body())
            .get("run")
            .get("id")
            .asText();
    awaitRun(runId, "RUNNING");

    assertJsonError(post("/api/runs/" + runId + "/retry"), 409);
    assertJsonError(post("/api/runs/" + runId + "/rerun"), 409);

    Files.createFile(gate);
    awaitRun(runId, "SUCCEEDED");
    assertThat(getJson("/api/runs?pipeline=steer-hold").get("items")).hasSize(1);
  }
}
