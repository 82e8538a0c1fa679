package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.RawHttp;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventConstants;
import dev.caravan.run.RunStatus;
import dev.caravan.run.Runs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * The live API over real HTTP: a whole run's log, following it and a step that starts later,
 * Server-Sent Events with Last-Event-ID on both log endpoints, {@code /api/stream}, the follower
 * cap freed by a client that leaves, and the bearer token on every stream.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, LiveLogsIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:live-logs;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.token=" + LiveLogsIT.TOKEN,
      "caravan.api.max-followers=" + LiveLogsIT.MAX,
      "caravan.api.heartbeat=1s"
    })
class LiveLogsIT {

  static final String TOKEN = "live-t0ken";
  static final int MAX = 6;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @LocalServerPort int port;
  @Autowired CamelContext camel;
  @Autowired LogFollowers followers;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final List<AutoCloseable> open = new ArrayList<>();
  private Path gate;

  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder livePipelines() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:live")
              .routeId("live")
              .to(
                  "kjob:build?timeout=60s&env.GATE=${body[gate]}&script=echo build-one; while [ !"
                      + " -f \"$GATE\" ]; do sleep 0.1; done; echo build-two")
              .to("kjob:deploy?script=RAW(printf 'deploy-a\\ndeploy-b')");
          from("event:live-fail")
              .routeId("live-fail")
              .to("kjob:broken?script=echo broken; exit 3")
              .to("kjob:never?script=echo never");
        }
      };
    }
  }

  @BeforeEach
  void noFollowersLeftFromTheTestBefore() {
    await().atMost(Duration.ofSeconds(5)).until(() -> followers.count() == 0);
  }

  @AfterEach
  void openTheGateAndClose() throws Exception {
    if (gate != null && !Files.exists(gate)) {
      Files.createFile(gate);
    }
    for (AutoCloseable closeable : open) {
      closeable.close();
    }
  }

  // helpers

  private String start(String pipeline) throws IOException {
    gate = Files.createTempDirectory("live").resolve("gate");
    String eventId = UUID.randomUUID().toString();
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:" + pipeline,
            Map.of("gate", gate.toString()),
            Map.of(EventConstants.EVENT_ID, eventId, EventConstants.EVENT_TYPE, "go"));
    return await()
        .atMost(WAIT)
        .until(
            () -> Runs.of(camel).store().runs(pipeline, null, eventId, 1, 0),
            found -> !found.isEmpty())
        .get(0)
        .id();
  }

  private void awaitStored(String runId, String step, String log) {
    await().atMost(WAIT).until(() -> Runs.of(camel).journal().log(runId, step, "", 1).equals(log));
  }

  private void awaitEnded(String runId, RunStatus status) {
    await()
        .atMost(WAIT)
        .until(() -> Runs.of(camel).store().run(runId).orElseThrow().status() == status);
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + TOKEN);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<InputStream> open(HttpRequest.Builder request) throws Exception {
    HttpResponse<InputStream> response =
        http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    open.add(response.body());
    return response;
  }

  private static String readAll(HttpResponse<InputStream> response) throws Exception {
    return CompletableFuture.supplyAsync(
            () -> {
              try (InputStream body = response.body()) {
                return new String(body.readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            })
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** One Server-Sent Event, or a comment (type {@code :}). */
  record Event(String id, String type, String data) {}

  /** Reads the events of a stream one by one. */
  static final class Events {
    private final BufferedReader lines;

    Events(HttpResponse<InputStream> response) {
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
      lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    }

    /** The next event or comment; {@code null} at the end of the stream. */
    Event next() throws Exception {
      return CompletableFuture.supplyAsync(this::read).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The next event that is not a comment. */
    Event nextEvent() throws Exception {
      Event event = next();
      while (event != null && event.type().equals(":")) {
        event = next();
      }
      return event;
    }

    private Event read() {
      try {
        String id = null;
        String type = "message";
        List<String> data = new ArrayList<>();
        boolean any = false;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.isEmpty()) {
            if (any) {
              return new Event(id, type, String.join("\n", data));
            }
            continue;
          }
          any = true;
          if (line.startsWith(":")) {
            type = ":";
          } else if (line.startsWith("id: ")) {
            id = line.substring(4);
          } else if (line.startsWith("event: ")) {
            type = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data.add(line.substring(6));
          }
        }
        return null;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Events until (and with) the first {@code end} event or the end of the stream. */
    List<Event> untilEnd() throws Exception {
      List<Event> events = new ArrayList<>();
      for (Event event = nextEvent(); event != null; event = nextEvent()) {
        events.add(event);
        if (event.type().equals("end")) {
          break;
        }
      }
      return events;
    }
  }

  private Events events(String path, String lastEventId) throws Exception {
    HttpRequest.Builder request = request(path).header("Accept", "text/event-stream");
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    return new Events(open(request));
  }

  // the tests

  @Test
  void theWholeRunsLogPrefixesEachLineWithItsStepAndAFollowGetsStepsThatStartLater()
      throws Exception {
    String runId = start("live");
    awaitStored(runId, "build", "build-one\n");
    HttpResponse<InputStream> wholeRun = open(request("/api/runs/" + runId + "/logs?follow=true"));
    HttpResponse<InputStream> later =
        open(request("/api/runs/" + runId + "/steps/deploy/logs?follow=true"));
    assertThat(wholeRun.statusCode()).isEqualTo(200);
    assertThat(later.statusCode()).as("a step that has not started is waited for").isEqualTo(200);

    Files.createFile(gate);

    assertThat(readAll(wholeRun))
        .isEqualTo(
            "[build] build-one\n[build] build-two\n[deploy] deploy-a\n[deploy] deploy-b\n"
                + "[caravan: run ended SUCCEEDED]\n");
    assertThat(readAll(later)).isEqualTo("deploy-a\ndeploy-b");
    awaitEnded(runId, RunStatus.SUCCEEDED);
    HttpResponse<String> stored = get("/api/runs/" + runId + "/logs");
    assertThat(stored.statusCode()).isEqualTo(200);
    assertThat(stored.body())
        .isEqualTo("[build] build-one\n[build] build-two\n[deploy] deploy-a\n[deploy] deploy-b\n");
  }

  @Test
  void aStepThePipelineDoesNotHaveIs404AndOneTheRunNeverReachedEndsTheFollow() throws Exception {
    String runId = start("live-fail");
    awaitEnded(runId, RunStatus.FAILED);

    HttpResponse<String> unknown = get("/api/runs/" + runId + "/steps/nope/logs?follow=true");
    assertThat(unknown.statusCode()).isEqualTo(404);
    JsonNode error = json.readTree(unknown.body());
    assertThat(error.get("detail").asText()).contains("'nope'").contains("live-fail");

    HttpResponse<String> never = get("/api/runs/" + runId + "/steps/never/logs?follow=true");
    assertThat(never.statusCode()).isEqualTo(200);
    assertThat(never.body())
        .isEqualTo("[caravan: the run ended FAILED without reaching step 'never']\n");

    List<Event> events = events("/api/runs/" + runId + "/steps/never/logs", null).untilEnd();
    assertThat(events).extracting(Event::type).containsExactly("end");
    assertThat(json.readTree(events.get(0).data()).get("status").asText()).isEqualTo("SKIPPED");
  }

  @Test
  void eventStreamsOfBothLogsResumeFromLastEventIdWithoutRepeatsOrGaps() throws Exception {
    String runId = start("live");
    awaitStored(runId, "build", "build-one\n");
    Events step = events("/api/runs/" + runId + "/steps/build/logs", null);
    Event first = step.nextEvent();
    assertThat(first.type()).isEqualTo("log");
    assertThat(first.data()).isEqualTo("build-one");
    Events run = events("/api/runs/" + runId + "/logs", null);
    Event firstOfRun = run.nextEvent();
    assertThat(firstOfRun.data()).isEqualTo("[build] build-one");
    // both clients leave; the step goes on
    for (AutoCloseable closeable : open) {
      closeable.close();
    }
    open.clear();
    Files.createFile(gate);
    awaitEnded(runId, RunStatus.SUCCEEDED);

    List<Event> resumed = events("/api/runs/" + runId + "/steps/build/logs", first.id()).untilEnd();
    assertThat(resumed).extracting(Event::type).containsExactly("log", "end");
    assertThat(resumed.get(0).data()).isEqualTo("build-two");
    JsonNode end = json.readTree(resumed.get(1).data());
    assertThat(end.get("status").asText()).isEqualTo("SUCCEEDED");
    assertThat(end.get("exitCode").asInt()).isZero();

    List<Event> resumedRun = events("/api/runs/" + runId + "/logs", firstOfRun.id()).untilEnd();
    assertThat(resumedRun)
        .extracting(Event::data)
        .containsExactly(
            "[build] build-two",
            "[deploy] deploy-a",
            "[deploy] deploy-b",
            "{\"status\":\"SUCCEEDED\"}");
    // resuming from the last line gives only the end
    String lastLine = resumedRun.get(2).id();
    assertThat(events("/api/runs/" + runId + "/logs", lastLine).untilEnd())
        .extracting(Event::type)
        .containsExactly("end");
  }

  @Test
  void theStreamSendsRunAndStepChangesAndAClientResumesWhereItLeft() throws Exception {
    Events stream = events("/api/stream?pipeline=live-fail", null);
    String runId = start("live-fail");
    List<Event> seen = new ArrayList<>();
    // the run is created, started and ends: three changes of the run
    while (seen.stream().filter(event -> event.type().equals("run")).count() < 3) {
      Event event = stream.nextEvent();
      assertThat(event).as("stream ended early after %s", seen).isNotNull();
      seen.add(event);
    }
    assertThat(json.readTree(seen.get(seen.size() - 1).data()).get("status").asText())
        .isEqualTo("FAILED");
    assertThat(seen).extracting(Event::type).contains("run", "step");
    for (Event event : seen) {
      JsonNode data = json.readTree(event.data());
      String ofRun = (event.type().equals("run") ? data.get("id") : data.get("run")).asText();
      assertThat(ofRun).as("%s", event).isEqualTo(runId);
    }
    assertThat(seen)
        .filteredOn(event -> event.type().equals("step"))
        .extracting(event -> json.readTree(event.data()).get("name").asText())
        .contains("broken");
    List<Long> ids = seen.stream().map(event -> Long.parseLong(event.id())).toList();
    assertThat(ids).isSorted().doesNotHaveDuplicates();

    Events resumed = events("/api/stream?run=" + runId, seen.get(0).id());
    List<Event> again = new ArrayList<>();
    while (again.size() < seen.size() - 1) {
      again.add(resumed.nextEvent());
    }
    assertThat(again)
        .extracting(Event::id)
        .isEqualTo(ids.subList(1, ids.size()).stream().map(String::valueOf).toList());

    Event heartbeat = resumed.next();
    assertThat(heartbeat.type()).as("a quiet stream gets a comment").isEqualTo(":");
  }

  @Test
  void streamsNeedTheTokenAndAClientThatLeavesFreesItsPlace() throws Exception {
    HttpResponse<String> anonymous =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/stream"))
                .header("Accept", "text/event-stream")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.body()).doesNotContain("event:");
    HttpResponse<String> badResume =
        http.send(
            request("/api/stream")
                .header("Accept", "text/event-stream")
                .header("Last-Event-ID", "not-a-change")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(badResume.statusCode()).isEqualTo(400);
    assertThat(json.readTree(badResume.body()).get("detail").asText()).contains("Last-Event-ID");

    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      sockets.add(stream());
    }
    HttpResponse<String> refused = get("/api/stream");
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(json.readTree(refused.body()).get("detail").asText())
        .contains("caravan.api.max-followers");

    sockets.remove(0).close();
    await()
        .atMost(Duration.ofSeconds(5))
        .alias("a place again once a client left")
        .until(() -> stream(), socket -> socket != null);
  }

  /** Opens a stream on a raw socket (closed after the test) and reads its response headers. */
  private Socket stream() throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    open.add(socket);
    socket.setSoTimeout((int) WAIT.toMillis());
    socket
        .getOutputStream()
        .write(
            ("GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + TOKEN
                    + "\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    String head = RawHttp.readHead(socket.getInputStream());
    if (!head.startsWith("HTTP/1.1 200")) {
      socket.close();
      return null;
    }
    assertThat(head).containsIgnoringCase("content-type: text/event-stream");
    return socket;
  }
}
