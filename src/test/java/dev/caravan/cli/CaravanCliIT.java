package dev.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.caravan.RawHttp;
import dev.caravan.app.CaravanApplication;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * The {@code caravan} command line, in-process ({@link Caravan#commandLine}), against a real app on
 * a random port with local steps; runs are created through the generic webhook gateway or run now.
 * Everything here works on today's API: the tests that show {@code graph}, {@code reason} and the
 * whole run's log exercise the command line's fallbacks where the server lacks them.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, CaravanCliIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:caravan-cli;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.token=" + CaravanCliIT.TOKEN,
      "caravan.webhook.tokens.cli=" + CaravanCliIT.WEBHOOK_TOKEN
    })
class CaravanCliIT {

  static final String TOKEN = "cli-api-t0ken-s3cret";
  static final String WEBHOOK_TOKEN = "cli-webhook-t0ken";
  static final Path DIR = createDir();

  @LocalServerPort int port;

  private final ObjectMapper json = new ObjectMapper();
  private final ExecutorService background = Executors.newCachedThreadPool();

  @AfterEach
  void stopBackground() {
    background.shutdownNow();
  }

  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder cliPipelines() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:webhook/cli?types=built")
              .routeId("cli-build")
              .to("kjob:compile?script=echo compiled")
              .to("kjob:test?script=echo tested; echo all green");
          from("event:cli-fail").routeId("cli-fail").to("kjob:boom?script=echo broken; exit 3");
          from("event:cli-slow")
              .routeId("cli-slow")
              .to("kjob:slow?timeout=1s&script=echo slow start; sleep 30");
          // first waits for its gate file, then later prints; both print what they see
          from("event:cli-hold")
              .routeId("cli-hold")
              .to(
                  "kjob:first?timeout=60s&env.GATE=${body[gate]}&script=echo first waiting;"
                      + " while [ ! -f \"$GATE\" ]; do sleep 0.1; done; echo first done")
              .to("kjob:later?script=echo later ran");
          // one run at a time; a run that finds one in flight is skipped
          from("event:cli-once?concurrencyLimit=1&onConflict=skip")
              .routeId("cli-once")
              .to(
                  "kjob:only?timeout=60s&env.GATE=${body[gate]}&script=while [ ! -f \"$GATE\" ];"
                      + " do sleep 0.1; done");
        }
      };
    }
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("caravan-cli");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  record Result(int exitCode, String out, String err) {}

  private Map<String, String> environment() {
    Map<String, String> environment = new HashMap<>();
    environment.put("CARAVAN_URL", "http://127.0.0.1:" + port);
    environment.put("CARAVAN_API_TOKEN", TOKEN);
    return environment;
  }

  private Result caravan(String... arguments) {
    return caravan(environment(), arguments);
  }

  private static Result caravan(Map<String, String> environment, String... arguments) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Caravan.commandLine(environment, false, new PrintWriter(out), new PrintWriter(err))
            .execute(arguments);
    return new Result(code, out.toString(), err.toString());
  }

  private Result ok(String... arguments) {
    Result result = caravan(arguments);
    assertThat(result.exitCode()).as(String.join(" ", arguments) + ": " + result.err()).isZero();
    return result;
  }

  /** Runs of cli-build queued by the generic webhook gateway, as its 202 names them. */
  private String webhookRun() throws Exception {
    HttpResponse<String> accepted =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/events/webhook/cli"))
                    .header("Authorization", "Bearer " + WEBHOOK_TOKEN)
                    .header("Content-Type", "application/json")
                    .header("X-Event-Type", "built")
                    .header("X-Event-Id", "cli-" + UUID.randomUUID())
                    .POST(HttpRequest.BodyPublishers.ofString("{\"build\": 7}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    return json.readTree(accepted.body()).get("runs").get(0).get("id").asText();
  }

  private String runNow(String pipeline, String data) {
    Result started = ok("pipelines", "run", pipeline, "--data", data);
    return started.out().strip();
  }

  private JsonNode runJson(String run) throws Exception {
    return json.readTree(ok("runs", "get", run, "-o", "json").out());
  }

  private void awaitStatus(String run, String status) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> runJson(run).get("status").asText(), status::equals);
  }

  @Test
  void runsListGetAndLogsShowARunTheGatewayQueued() throws Exception {
    String run = webhookRun();

    Result waited = ok("runs", "wait", run);
    assertThat(waited.out()).isEqualTo("run " + run + " of cli-build SUCCEEDED\n");

    Result list = ok("runs", "list", "--pipeline", "cli-build");
    assertThat(list.out().lines().findFirst().orElseThrow())
        .matches("ID +PIPELINE +STATUS +CREATED +ENDED");
    assertThat(list.out()).containsPattern(run + " +cli-build +SUCCEEDED ");
    assertThat(ok("runs", "list", "--status", "FAILED", "--pipeline", "cli-build").out())
        .doesNotContain(run);

    Result get = ok("runs", "get", run);
    assertThat(get.out())
        .contains("run       " + run, "pipeline  cli-build", "status    SUCCEEDED");
    if (runJson(run).has("graph")) {
      // the graph of the newer API: the route, then its two steps, each with its state
      assertThat(get.out())
          .containsPattern("├─ step compile .*SUCCEEDED")
          .containsPattern("└─ step test .*SUCCEEDED");
    } else {
      assertThat(get.out())
          .containsPattern("compile +1 +SUCCEEDED +0 ")
          .containsPattern("test +1 +SUCCEEDED +0 ");
    }

    assertThat(ok("runs", "logs", run, "test").out()).isEqualTo("tested\nall green\n");
    assertThat(ok("runs", "logs", run).out())
        .isEqualTo("[compile] compiled\n[test] tested\n[test] all green\n");

    JsonNode asJson =
        json.readTree(ok("runs", "list", "--event", eventOf(run), "-o", "json").out());
    assertThat(asJson.get("items").get(0).get("id").asText()).isEqualTo(run);
    JsonNode asYaml =
        new YAMLMapper().readTree(ok("runs", "list", "--event", eventOf(run), "-o", "yaml").out());
    assertThat(asYaml).isEqualTo(asJson);
  }

  private String eventOf(String run) throws Exception {
    return runJson(run).get("event").asText();
  }

  @Test
  void waitExitsWithACodePerEnding() throws Exception {
    String failed = runNow("cli-fail", "{}");
    String timedOut = runNow("cli-slow", "{}");
    String held = runNow("cli-hold", json.writeValueAsString(Map.of("gate", DIR + "/never")));

    Result fails = caravan("runs", "wait", failed);
    assertThat(fails.exitCode()).isEqualTo(ExitCodes.RUN_FAILED).isEqualTo(10);
    assertThat(fails.out()).isEqualTo("run " + failed + " of cli-fail FAILED\n");
    assertThat(caravan("runs", "wait", timedOut).exitCode())
        .isEqualTo(ExitCodes.RUN_TIMED_OUT)
        .isEqualTo(11);

    awaitStatus(held, "RUNNING");
    assertThat(ok("runs", "cancel", held).out()).startsWith("run " + held + " CANCELED");
    assertThat(caravan("runs", "wait", held).exitCode())
        .isEqualTo(ExitCodes.RUN_CANCELED)
        .isEqualTo(12);

    Result missing = caravan("runs", "wait", "no-such-run");
    assertThat(missing.exitCode()).isEqualTo(ExitCodes.NOT_FOUND).isEqualTo(3);
    assertThat(missing.err()).startsWith("caravan: 404 not found");
    assertThat(missing.out()).isEmpty();
  }

  @Test
  void aRunSkippedByItsConcurrencyGroupShowsItsGroupAndReason() throws Exception {
    String gate = json.writeValueAsString(Map.of("gate", DIR + "/never"));
    String running = runNow("cli-once", gate);
    awaitStatus(running, "RUNNING");

    String skipped = runNow("cli-once", gate);

    assertThat(caravan("runs", "wait", skipped).exitCode())
        .isEqualTo(ExitCodes.RUN_SKIPPED)
        .isEqualTo(13);
    String shown = ok("runs", "get", skipped).out();
    assertThat(shown)
        .contains("status    SKIPPED\n")
        .contains("group     cli-once\n")
        .contains(
            "summary   Skipped: concurrency group cli-once already has 1 of 1 runs in flight"
                + " (onConflict=skip)\n");
    assertThat(ok("runs", "list", "--status", "SKIPPED", "--pipeline", "cli-once").out())
        .contains(skipped)
        .doesNotContain(running);
    ok("runs", "cancel", running);
  }

  @Test
  void followsARunningStepAndAStepThatHasNotStartedYet() throws Exception {
    Path gate = DIR.resolve("gate-" + UUID.randomUUID());
    String run = runNow("cli-hold", json.writeValueAsString(Map.of("gate", gate.toString())));
    awaitStatus(run, "RUNNING");

    StringWriter first = new StringWriter();
    StringWriter later = new StringWriter();
    Future<Integer> followingFirst = follow(first, "runs", "logs", run, "first", "-f");
    Future<Integer> followingLater = follow(later, "runs", "logs", run, "later", "-f");
    await().atMost(Duration.ofSeconds(30)).until(() -> first.toString().contains("first waiting"));
    assertThat(followingFirst.isDone()).isFalse();
    assertThat(followingLater.isDone()).isFalse();
    assertThat(later.toString()).isEmpty();

    Files.createFile(gate);

    assertThat(followingFirst.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(first.toString()).isEqualTo("first waiting\nfirst done\n");
    assertThat(followingLater.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(later.toString()).isEqualTo("later ran\n");
    assertThat(ok("runs", "logs", run, "-f").out())
        .isEqualTo(
            "[first] first waiting\n[first] first done\n[later] later ran\n"
                + "[caravan: run ended SUCCEEDED]\n");
  }

  /** A command that blocks (follow, watch) on a thread that {@link #stopBackground} interrupts. */
  private Future<Integer> follow(StringWriter out, String... arguments) {
    Map<String, String> environment = environment();
    return background.submit(
        () ->
            Caravan.commandLine(
                    environment,
                    false,
                    new PrintWriter(out, true),
                    new PrintWriter(new StringWriter()))
                .execute(arguments));
  }

  @Test
  void retryRerunAndReplayStartNewRuns() throws Exception {
    String run = webhookRun();
    ok("runs", "wait", run);

    String retried = ok("runs", "retry", run).out().strip();
    String rerun = ok("runs", "rerun", run).out().strip();

    assertThat(retried).isNotEqualTo(run).isNotEqualTo(rerun);
    assertThat(ok("runs", "wait", retried).exitCode()).isZero();
    assertThat(ok("runs", "wait", rerun).exitCode()).isZero();
    assertThat(runJson(retried).get("retryOf").asText()).isEqualTo(run);
    assertThat(runJson(rerun).get("retryOf").asText()).isEqualTo(run);

    String event = eventOf(run);
    Result replayed = ok("events", "replay", event);
    assertThat(replayed.out()).containsPattern("RUN +PIPELINE").contains("cli-build");
    assertThat(ok("events", "list", "--source", "webhook/cli").out()).contains(event);
    Result shown = ok("events", "get", event);
    assertThat(shown.out()).contains("id       " + event, "data     {\"build\":7}", run, retried);

    Result refused = caravan("runs", "cancel", run);
    assertThat(refused.exitCode()).isEqualTo(ExitCodes.FAILURE);
    assertThat(refused.err()).startsWith("caravan: 409 ").contains("already ended");
  }

  @Test
  void pipelinesListGetAndRunWithFollow() throws Exception {
    assertThat(ok("pipelines", "list").out())
        .containsPattern("cli-build +webhook/cli +built ")
        .containsPattern("cli-fail +cli-fail ");

    Result shown = ok("pipelines", "get", "cli-build");
    assertThat(shown.out())
        .contains("id           cli-build")
        .containsPattern("sequence cli-build \\(event:webhook/cli.*\\)")
        .contains("├─ step compile", "└─ step test");

    Path data = Files.writeString(DIR.resolve("event.json"), "{\"who\": \"Ada\"}");
    Result followed = caravan("pipelines", "run", "cli-fail", "--data", "@" + data, "--follow");
    assertThat(followed.exitCode()).as(followed.err()).isEqualTo(ExitCodes.RUN_FAILED);
    assertThat(followed.out())
        .startsWith("[boom] broken\n")
        .containsPattern("of cli-fail FAILED\n$");

    Result unknown = caravan("pipelines", "get", "no-such-pipeline");
    assertThat(unknown.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(unknown.err()).isEqualTo("caravan: 404 not found: pipeline not found\n");
  }

  @Test
  void watchPrintsNewRunsAndChangesOfStatus() throws Exception {
    StringWriter out = new StringWriter();
    Future<Integer> watching = follow(out, "runs", "list", "--pipeline", "cli-build", "--watch");
    await().atMost(Duration.ofSeconds(30)).until(() -> out.toString().startsWith("ID "));

    String run = webhookRun();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                out.toString()
                    .lines()
                    .anyMatch(line -> line.matches(run + " +cli-build +SUCCEEDED.*")));
    assertThat(out.toString().lines().filter(line -> line.startsWith(run + " ")))
        .as("a line per state the stream told, none twice")
        .extracting(line -> line.split(" +")[2])
        .endsWith("SUCCEEDED")
        .doesNotHaveDuplicates();
    assertThat(watching.isDone()).isFalse();
  }

  @Test
  void aMissingOrWrongTokenIsRefusedWithoutPrintingIt() {
    Map<String, String> wrong = environment();
    wrong.put("CARAVAN_API_TOKEN", "not-the-t0ken");
    Result refused = caravan(wrong, "runs", "list");
    assertThat(refused.exitCode()).isEqualTo(ExitCodes.UNAUTHORIZED).isEqualTo(5);
    assertThat(refused.err())
        .startsWith("caravan: 401 unauthorized")
        .doesNotContain("not-the-t0ken");

    Map<String, String> none = environment();
    none.remove("CARAVAN_API_TOKEN");
    assertThat(caravan(none, "runs", "list").err()).contains("set --token or CARAVAN_API_TOKEN");

    Result withOption =
        caravan(none, "runs", "list", "--token", TOKEN, "--server", "http://127.0.0.1:" + port);
    assertThat(withOption.exitCode()).as(withOption.err()).isZero();
    assertThat(withOption.out() + withOption.err()).doesNotContain(TOKEN);
  }

  @Test
  void anUnreachableServerHasItsOwnExitCode() throws Exception {
    int closed = RawHttp.freePort();
    Map<String, String> environment = environment();
    environment.put("CARAVAN_URL", "http://127.0.0.1:" + closed);

    Result result = caravan(environment, "pipelines", "list");

    assertThat(result.exitCode()).isEqualTo(ExitCodes.UNREACHABLE).isEqualTo(4);
    assertThat(result.err())
        .isEqualTo(
            "caravan: cannot reach the Caravan server at http://127.0.0.1:"
                + closed
                + " (connection refused or timed out); start it, or point --server or CARAVAN_URL"
                + " at it\n")
        .doesNotContain(TOKEN);
  }

  @Test
  void completionIsABashScriptForEveryCommand() {
    Result completion = ok("completion");
    List<String> words = new ArrayList<>(List.of("runs", "events", "pipelines", "wait", "replay"));
    assertThat(completion.out())
        .startsWith("#!/usr/bin/env bash")
        .contains(words)
        .contains("complete -F");
  }
}
