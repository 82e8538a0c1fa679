package dev.caravan.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.caravan.app.CaravanApplication;
import dev.caravan.gateway.Signatures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * Distinctive secrets for every gateway and the API never show up in an answer (body or header),
 * whatever is asked, nor in anything Caravan logs from its start on.
 */
@AutoConfigureObservability
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.github.webhook-secret=" + SecretsNeverLeakIT.GITHUB_SECRET,
      "caravan.trello.secret=" + SecretsNeverLeakIT.TRELLO_SECRET,
      "caravan.trello.callback-url=" + SecretsNeverLeakIT.CALLBACK,
      "caravan.webhook.tokens.ci=" + SecretsNeverLeakIT.WEBHOOK_TOKEN,
      "caravan.api.token=" + SecretsNeverLeakIT.API_TOKEN,
      "spring.datasource.url=jdbc:h2:mem:secrets-never-leak-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
@ContextConfiguration(initializers = SecretsNeverLeakIT.CaptureLogs.class)
class SecretsNeverLeakIT {

  static final String GITHUB_SECRET = "ghSecretQx7Lw2Pz9";
  static final String TRELLO_SECRET = "trelloSecretVb4Nk8Rt1";
  static final String WEBHOOK_TOKEN = "webhookTokenMm3Hj6Yc5";
  static final String API_TOKEN = "apiTokenZz9Ff2Dd7";
  static final String CALLBACK = "https://caravan.example.com/events/trello";
  private static final String[] SECRETS = {GITHUB_SECRET, TRELLO_SECRET, WEBHOOK_TOKEN, API_TOKEN};

  private static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();

  /**
   * Attaches the capture once Spring Boot has set up logging (which resets Logback, dropping
   * appenders added earlier) and before the context refreshes, so start-up logging is captured.
   */
  static class CaptureLogs
      implements ApplicationContextInitializer<ConfigurableApplicationContext> {
    @Override
    public void initialize(ConfigurableApplicationContext context) {
      if (!LOG.isStarted()) {
        LOG.start();
        root().addAppender(LOG);
      }
    }
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  @AfterAll
  static void detach() {
    root().detachAppender(LOG);
    LOG.stop();
  }

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<HttpResponse<String>> answers = new ArrayList<>();

  private HttpResponse<String> send(String method, String path, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    answers.add(response);
    return response;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private void exerciseGitHub() throws Exception {
    byte[] push =
        utf8(
            "{\"ref\":\"refs/heads/main\",\"after\":\"abc\",\"repository\":{\"full_name\":"
                + "\"octo/secret\"}}");
    String good =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", GITHUB_SECRET, push));
    String wrong =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", "guess", push));
    String id = "leak-" + UUID.randomUUID();
    String[] json = {"Content-Type", "application/json", "X-GitHub-Event", "push"};
    assertThat(
            send(
                    "POST",
                    "/events/github",
                    push,
                    with(json, "X-GitHub-Delivery", id, "X-Hub-Signature-256", good))
                .statusCode())
        .isEqualTo(202);
    send(
        "POST",
        "/events/github",
        push,
        with(json, "X-GitHub-Delivery", id, "X-Hub-Signature-256", good));
    assertThat(
            send(
                    "POST",
                    "/events/github",
                    push,
                    with(json, "X-GitHub-Delivery", id + "b", "X-Hub-Signature-256", wrong))
                .statusCode())
        .isEqualTo(401);
    // a sender that puts the secret itself where the signature belongs
    send(
        "POST",
        "/events/github",
        push,
        with(json, "X-GitHub-Delivery", id + "c", "X-Hub-Signature-256", GITHUB_SECRET));
    send(
        "POST",
        "/events/github",
        push,
        with(
            json, "X-GitHub-Delivery", id + "d", "X-Hub-Signature-256", "sha256=" + GITHUB_SECRET));
    send(
        "POST",
        "/events/github",
        utf8("{\"ref\": "),
        with(json, "X-GitHub-Delivery", id + "e", "X-Hub-Signature-256", good));
    send("POST", "/events/github", push, "Content-Type", "text/plain");
    send("GET", "/events/github", null);
  }

  private void exerciseTrello() throws Exception {
    byte[] body =
        utf8(
            "{\"action\":{\"id\":\"leak"
                + UUID.randomUUID().toString().replace("-", "")
                + "\",\"type\":\"updateCard\",\"date\":\"2025-03-11T10:15:30.123Z\"},"
                + "\"model\":{\"id\":\"b1\"}}");
    String good =
        Base64.getEncoder()
            .encodeToString(Signatures.hmac("HmacSHA1", TRELLO_SECRET, body, utf8(CALLBACK)));
    assertThat(send("HEAD", "/events/trello", null).statusCode()).isEqualTo(200);
    assertThat(
            send(
                    "POST",
                    "/events/trello",
                    body,
                    "Content-Type",
                    "application/json",
                    "X-Trello-Webhook",
                    good)
                .statusCode())
        .isEqualTo(202);
    send(
        "POST",
        "/events/trello",
        body,
        "Content-Type",
        "application/json",
        "X-Trello-Webhook",
        good);
    assertThat(
            send(
                    "POST",
                    "/events/trello",
                    body,
                    "Content-Type",
                    "application/json",
                    "X-Trello-Webhook",
                    TRELLO_SECRET)
                .statusCode())
        .isEqualTo(401);
    send(
        "POST",
        "/events/trello",
        utf8("{"),
        "Content-Type",
        "application/json",
        "X-Trello-Webhook",
        good);
    send("POST", "/events/trello", body, "Content-Type", "text/plain");
    send("PUT", "/events/trello", body, "Content-Type", "application/json");
  }

  private void exerciseWebhook() throws Exception {
    String[] good = {
      "Content-Type", "application/json", "Authorization", "Bearer " + WEBHOOK_TOKEN
    };
    assertThat(send("POST", "/events/webhook/ci", utf8("{\"n\":1}"), good).statusCode())
        .isEqualTo(202);
    assertThat(
            send(
                    "POST",
                    "/events/webhook/ci",
                    utf8("{}"),
                    "Content-Type",
                    "application/json",
                    "Authorization",
                    "Bearer " + WEBHOOK_TOKEN + "x")
                .statusCode())
        .isEqualTo(401);
    // the right token for another (unknown) name, another gateway's secret, a bad name
    send("POST", "/events/webhook/nightly", utf8("{}"), good);
    send(
        "POST",
        "/events/webhook/ci",
        utf8("{}"),
        "Content-Type",
        "application/json",
        "Authorization",
        "Bearer " + GITHUB_SECRET);
    send("POST", "/events/webhook/" + WEBHOOK_TOKEN.toUpperCase(), utf8("{}"), good);
    send("POST", "/events/webhook/ci", utf8("{\"n\": "), good);
    send(
        "POST",
        "/events/webhook/ci",
        utf8("{}"),
        "Content-Type",
        "text/plain",
        "Authorization",
        "Bearer " + WEBHOOK_TOKEN);
    send("DELETE", "/events/webhook/ci", null, good);
  }

  private void exerciseApi() throws Exception {
    String[] auth = {"Authorization", "Bearer " + API_TOKEN};
    for (String path :
        new String[] {
          "/api/events",
          "/api/runs",
          "/api/pipelines",
          "/api/events/no-such-event",
          "/api/runs/no-such-run",
          "/api/runs/no-such-run/steps/x/logs",
          "/api/runs?status=bogus",
          "/api/events?limit=many"
        }) {
      assertThat(send("GET", path, null, auth).statusCode()).as(path).isNotEqualTo(401);
      assertThat(send("GET", path, null).statusCode()).as(path).isEqualTo(401);
      send("GET", path, null, "Authorization", "Bearer " + API_TOKEN + "0");
      send("GET", path, null, "Authorization", "Basic " + API_TOKEN);
      send("GET", path, null, "Authorization", "Bearer " + WEBHOOK_TOKEN);
    }
    send("POST", "/api/runs/no-such-run/cancel", null, auth);
    send("POST", "/api/events/no-such-event/replay", null, auth);
    send("DELETE", "/api/runs", null, auth);
  }

  private void exerciseActuatorAndErrors() throws Exception {
    for (String path :
        new String[] {
          "/actuator",
          "/actuator/health",
          "/actuator/health/liveness",
          "/actuator/health/readiness",
          "/actuator/info",
          "/actuator/prometheus",
          "/actuator/env",
          "/actuator/configprops",
          "/actuator/beans",
          "/actuator/loggers",
          "/actuator/heapdump",
          "/error",
          "/no-such-route",
          "/events/no-such-gateway"
        }) {
      send("GET", path, null);
      send("GET", path, null, "Authorization", "Bearer " + API_TOKEN);
    }
    String[] auth = {"Authorization", "Bearer " + API_TOKEN};
    assertThat(send("GET", "/actuator/health", null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/actuator/prometheus", null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/actuator/prometheus", null, auth).body()).contains("caravan_");
    assertThat(send("GET", "/actuator/env", null, auth).statusCode()).isEqualTo(404);
  }

  @Test
  void noSecretInAnyAnswerOrLogLine() throws Exception {
    exerciseGitHub();
    exerciseTrello();
    exerciseWebhook();
    exerciseApi();
    exerciseActuatorAndErrors();
    // the accepted events reach their subscribers (the on-push example runs a step and logs)
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                logLines().stream()
                    .anyMatch(line -> line.contains("of on-push: push to octo/secret")));

    assertThat(answers).hasSizeGreaterThan(90);
    for (HttpResponse<String> answer : answers) {
      String where = answer.request().method() + " " + answer.uri() + " " + answer.statusCode();
      assertThat(answer.body()).as(where).doesNotContain(SECRETS);
      assertThat(answer.headers().map().toString()).as(where).doesNotContain(SECRETS);
    }
    List<String> lines = logLines();
    assertThat(lines)
        .as("start-up logging was captured too")
        .anyMatch(line -> line.contains("Started on-push"));
    for (String line : lines) {
      assertThat(line).doesNotContain(SECRETS);
    }
    assertThat(lines)
        .as("Spring Security's generated default user is never created")
        .noneMatch(line -> line.contains("generated security password"));
  }

  private static List<String> logLines() {
    List<ILoggingEvent> events;
    synchronized (LOG) {
      events = List.copyOf(LOG.list);
    }
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent event : events) {
      StringBuilder line =
          new StringBuilder(event.getLoggerName())
              .append(' ')
              .append(event.getFormattedMessage())
              .append(' ')
              .append(event.getMDCPropertyMap())
              .append(' ')
              .append(event.getKeyValuePairs());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
        for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
          line.append(' ').append(frame.getSTEAsString());
        }
      }
      lines.add(line.toString());
    }
    return lines;
  }

  private static String[] with(String[] headers, String... more) {
    List<String> all = new ArrayList<>(List.of(headers));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
