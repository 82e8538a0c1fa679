package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.LogCapture;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventConstants;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * A step whose process cannot start (an event value with a NUL character for {@code env.TITLE}) is
 * FAILED with the reason in its log, its run ends FAILED, a log follower gets an end, and the value
 * never reaches a log line raw.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, UnstartableStepIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:unstartable-step;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.token=" + UnstartableStepIT.TOKEN
    })
class UnstartableStepIT {

  static final String TOKEN = "unstartable-t0ken";
  private static final String TITLE = "Fix\0it\r\n2026-01-01 ERROR forged log line";

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private ListAppender<ILoggingEvent> logs;

  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder unstartablePipeline() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:unstartable?types=pull_request:opened")
              .routeId("unstartable")
              .to("kjob:title?env.TITLE=${body[title]}&script=echo \"$TITLE\"")
              .to("kjob:never?script=echo never");
        }
      };
    }
  }

  @BeforeEach
  void captureLogs() {
    logs = LogCapture.startAll();
  }

  @AfterEach
  void stopCapture() {
    LogCapture.stopAll(logs);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + TOKEN)
            .timeout(Duration.ofSeconds(20))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = get(path);
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    return json.readTree(response.body());
  }

  @Test
  void aStepThatCannotStartIsFailedWithItsReasonAndItsRunEnds() throws Exception {
    String eventId = UUID.randomUUID().toString();
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:unstartable",
            Map.of("title", TITLE),
            Map.of(
                EventConstants.EVENT_ID,
                eventId,
                EventConstants.EVENT_TYPE,
                "pull_request:opened"));

    String runId =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> getJson("/api/runs?event=" + eventId).get("items"), r -> r.size() > 0)
            .get(0)
            .get("id")
            .asText();
    JsonNode run =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> getJson("/api/runs/" + runId),
                r ->
                    r.get("status").asText() != null
                        && !r.get("status").asText().equals("RUNNING")
                        && !r.get("status").asText().equals("PENDING"));

    assertThat(run.get("status").asText()).isEqualTo("FAILED");
    assertThat(run.get("steps"))
        .extracting(step -> step.get("name").asText() + ":" + step.get("status").asText())
        .containsExactly("title:FAILED", "never:SKIPPED");
    JsonNode exitCode = run.get("steps").get(0).path("exitCode");
    assertThat(exitCode.isNull() || exitCode.isMissingNode()).as("no exit code").isTrue();
    String reason =
        "[caravan: the step could not start: environment variable TITLE holds a NUL character]\n";
    assertThat(get("/api/runs/" + runId + "/steps/title/logs").body()).isEqualTo(reason);
    // a follower gets the log and an end, instead of waiting for a step that never runs
    HttpResponse<String> follow = get("/api/runs/" + runId + "/steps/title/logs?follow=true");
    assertThat(follow.statusCode()).isEqualTo(200);
    assertThat(follow.body()).isEqualTo(reason);

    for (ILoggingEvent event : LogCapture.events(logs)) {
      assertThat(LogCapture.text(event))
          .as("a log line of %s", event.getLoggerName())
          .doesNotContain("\0", "\r", "\n2026-01-01");
    }
  }
}
