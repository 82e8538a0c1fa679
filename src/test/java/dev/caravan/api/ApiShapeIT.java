package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.RawHttp;
import dev.caravan.RawHttp.Answer;
import dev.caravan.app.CaravanApplication;
import dev.caravan.run.RunStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The shape of the API over real HTTP: every error, Spring's and Tomcat's own included, is {@code
 * {"error", "detail"}} as JSON without internals; unknown query parameters are refused by name;
 * lists carry their total; status names are upper case.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, ApiShapeIT.JsonBodies.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:api-shape-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.gateways.max-body-bytes=1000"
    })
class ApiShapeIT {

  @LocalServerPort int port;

  /** An endpoint that takes a JSON body as Spring reads it (none of Caravan's does yet). */
  @RestController
  static class JsonBodies {
    @PostMapping("/api/test-json-body")
    Map<String, Object> echo(@RequestBody Map<String, Object> body) {
      return body;
    }
  }

  private final ObjectMapper json = new ObjectMapper();

  /** One request that must fail, the status it must get and a word its detail must contain. */
  private record Case(
      String method, String target, String body, List<String> headers, int status, String word) {

    static Case of(String method, String target, int status, String word, String... headers) {
      return new Case(method, target, null, List.of(headers), status, word);
    }

    static Case withBody(
        String method, String target, String body, int status, String word, String... headers) {
      return new Case(method, target, body, List.of(headers), status, word);
    }

    @Override
    public String toString() {
      return method + " " + target + " " + headers;
    }
  }

  private Answer send(Case c) {
    return RawHttp.sendBody(
        port, c.method(), c.target(), c.body(), c.headers().toArray(String[]::new));
  }

  @Test
  void everyErrorHasTheOneShapeAndSaysWhatToDo() throws Exception {
    String bigBody = "{\"x\":\"" + "a".repeat(2000) + "\"}";
    List<Case> cases =
        List.of(
            Case.of("GET", "/api/no-such-thing", 404, "path"),
            Case.of("GET", "/no-such-page", 404, "path"),
            Case.of("GET", "/error", 404, "path"),
            Case.of("GET", "/api/runs/no-such-run", 404, "run"),
            Case.of("GET", "/api/events/no-such-event", 404, "event"),
            Case.of("GET", "/api/pipelines/no-such-pipeline", 404, "pipeline"),
            Case.of("DELETE", "/api/runs", 405, "Allow"),
            Case.of("PUT", "/api/pipelines", 405, "Allow"),
            Case.of("GET", "/api/runs/x/cancel", 405, "Allow"),
            Case.of("GET", "/api/runs", 406, "application/json", "Accept: application/xml"),
            Case.of("GET", "/api/pipelines", 406, "application/json", "Accept: text/html"),
            Case.of("GET", "/api/runs", 406, "application/json", "Accept: application/yaml"),
            Case.withBody(
                "POST",
                "/api/pipelines/on-push/runs",
                "a=b",
                415,
                "Content-Type: application/json",
                "Content-Type: application/x-www-form-urlencoded"),
            Case.withBody(
                "POST",
                "/api/pipelines/on-push/runs",
                "{not json",
                400,
                "JSON",
                "Content-Type: application/json"),
            Case.withBody(
                "POST",
                "/api/pipelines/on-push/runs",
                bigBody,
                413,
                "caravan.gateways.max-body-bytes",
                "Content-Type: application/json"),
            Case.withBody(
                "POST", "/api/test-json-body", "", 400, "JSON", "Content-Type: application/json"),
            Case.withBody(
                "POST", "/api/test-json-body", "{", 400, "JSON", "Content-Type: application/json"),
            Case.withBody(
                "POST",
                "/api/test-json-body",
                "x",
                415,
                "application/json",
                "Content-Type: text/plain"),
            Case.of("GET", "/api/runs?limit=abc", 400, "'limit'"),
            Case.of("GET", "/api/runs?offset=-1", 400, "offset"),
            Case.of("GET", "/api/runs?limit=0", 400, "limit"),
            Case.of("GET", "/api/events?limit=1.5", 400, "'limit'"),
            Case.of("GET", "/api/events/x/runs?offset=many", 400, "'offset'"),
            Case.of("POST", "/api/events/x/replay?keepSucceeded=maybe", 400, "'keepSucceeded'"),
            Case.of("GET", "/api/runs/x/steps/y/logs?follow=maybe", 400, "'follow'"),
            Case.of("GET", "/api/runs/x/steps/y/logs?attempt=last", 400, "'attempt'"),
            Case.of("GET", "/api/runs?status=done", 400, "TIMED_OUT"),
            Case.of("GET", "/api/runs?pipline=x", 400, "'pipline'"),
            Case.of("GET", "/api/pipelines?limit=5", 400, "'limit'"),
            Case.of("GET", "/api/runs?limit=%zz", 400, "query"),
            // answered by Tomcat before any filter or servlet
            Case.of("GET", "/api%2Fruns", 400, "path"),
            Case.of("GET", "/api/runs", 400, "header", "X-Big: " + "b".repeat(20_000)));
    SoftAssertions soft = new SoftAssertions();
    for (Case c : cases) {
      Answer answer = send(c);
      soft.assertThat(answer.status()).as(c + ": " + answer).isEqualTo(c.status());
      soft.assertThat(answer.header("Content-Type"))
          .as(c + ": " + answer)
          .startsWith("application/json");
      JsonNode error = readError(soft, c, answer);
      if (error != null) {
        soft.assertThat(error.get("detail").asText()).as(c + ": " + answer).contains(c.word());
      }
      soft.assertThat(answer.body())
          .as(c + ": no internals")
          .doesNotContain("Exception", "at org.", "at dev.", "java.", "springframework", "trace");
      if (c.status() == 405) {
        soft.assertThat(answer.header("Allow")).as(c + ": " + answer).isNotBlank();
      }
    }
    soft.assertAll();
  }

  private JsonNode readError(SoftAssertions soft, Case c, Answer answer) {
    try {
      JsonNode error = json.readTree(answer.body());
      List<String> fields = new ArrayList<>();
      error.fieldNames().forEachRemaining(fields::add);
      soft.assertThat(fields).as(c + ": " + answer).containsExactly("error", "detail");
      soft.assertThat(error.get("error").asText()).as(c + ": " + answer).isNotBlank();
      soft.assertThat(error.get("detail").asText()).as(c + ": " + answer).isNotBlank();
      return fields.equals(List.of("error", "detail")) ? error : null;
    } catch (Exception e) {
      soft.fail(c + ": not JSON: " + answer);
      return null;
    }
  }

  @Test
  void anUnknownQueryParameterIsNamedWithTheAcceptedOnes() throws Exception {
    Answer answer = RawHttp.send(port, "GET", "/api/runs?pipline=x&limit=5");
    assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
    JsonNode error = json.readTree(answer.body());
    assertThat(error.get("error").asText()).isEqualTo("unknown query parameter");
    assertThat(error.get("detail").asText())
        .contains("'pipline'", "did you mean 'pipeline'?")
        .contains("accepted: pipeline, status, event, since, until, limit, offset");

    Answer none = RawHttp.send(port, "GET", "/api/pipelines?verbose=1");
    assertThat(none.status()).as(none.toString()).isEqualTo(400);
    assertThat(json.readTree(none.body()).get("detail").asText())
        .contains("'verbose'", "takes no query parameters");

    assertThat(RawHttp.send(port, "GET", "/api/runs?pipeline=x&limit=5&offset=0").status())
        .isEqualTo(200);
  }

  @Test
  void theStatusFilterListsEveryRunStatus() throws Exception {
    Answer answer = RawHttp.send(port, "GET", "/api/runs?status=done");
    String detail = json.readTree(answer.body()).get("detail").asText();
    assertThat(detail).contains(Arrays.stream(RunStatus.values()).map(Enum::name).toList());
  }

  @Test
  void listsCarryTheirTotalWithTheFiltersOfThePage() throws Exception {
    for (int i = 0; i < 3; i++) {
      Answer started =
          RawHttp.sendBody(
              port,
              "POST",
              "/api/pipelines/on-push/runs?type=push&subject=octo/shape",
              "{}",
              "Content-Type: application/json");
      assertThat(started.status()).as(started.toString()).isEqualTo(202);
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        page("/api/runs?pipeline=on-push&status=SUCCEEDED&limit=1")
                            .get("total")
                            .asInt())
                    .isEqualTo(3));
    JsonNode runs = page("/api/runs?pipeline=on-push&limit=2&offset=1");
    assertThat(runs.get("items")).hasSize(2);
    assertThat(runs.get("total").asInt()).isEqualTo(3);
    assertThat(page("/api/runs?pipeline=no-such&limit=2").get("total").asInt()).isZero();
    assertThat(page("/api/runs?status=FAILED").get("total").asInt()).isZero();

    JsonNode events = page("/api/events?source=manual&subject=octo/shape&limit=1");
    assertThat(events.get("items")).hasSize(1);
    assertThat(events.get("total").asInt()).isEqualTo(3);
    assertThat(page("/api/events?source=manual&subject=other").get("total").asInt()).isZero();

    String eventId = events.get("items").get(0).get("id").asText();
    JsonNode eventRuns = page("/api/events/" + eventId + "/runs");
    assertThat(eventRuns.get("total").asInt()).isEqualTo(1);
    assertThat(eventRuns.get("items")).hasSize(1);

    JsonNode pipelines = page("/api/pipelines");
    assertThat(pipelines.get("total").asInt())
        .isEqualTo(pipelines.get("items").size())
        .isPositive();
  }

  @Test
  void pipelineStatesAreUpperCaseLikeRunStatuses() throws Exception {
    JsonNode pipelines = page("/api/pipelines");
    for (JsonNode pipeline : pipelines.get("items")) {
      assertThat(pipeline.get("status").asText())
          .as(pipeline.toString())
          .isIn("STARTED", "STARTING", "STOPPING", "STOPPED", "SUSPENDING", "SUSPENDED", "REMOVED");
    }
    JsonNode onPush = json.readTree(RawHttp.send(port, "GET", "/api/pipelines/on-push").body());
    assertThat(onPush.get("status").asText()).isEqualTo("STARTED");
  }

  private JsonNode page(String target) throws Exception {
    Answer answer = RawHttp.send(port, "GET", target);
    assertThat(answer.status()).as(target + ": " + answer).isEqualTo(200);
    return json.readTree(answer.body());
  }
}
