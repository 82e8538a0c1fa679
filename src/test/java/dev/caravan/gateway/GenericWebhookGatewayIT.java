package dev.caravan.gateway;

import static dev.caravan.gateway.GatewayResponses.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.app.CaravanApplication;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.EventStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.test.context.ContextConfiguration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.webhook.tokens.ci=" + GenericWebhookGatewayIT.CI_TOKEN,
      "caravan.webhook.tokens.deploy-prod=" + GenericWebhookGatewayIT.DEPLOY_TOKEN,
      "spring.datasource.url=jdbc:h2:mem:generic-webhook-gateway-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
@ContextConfiguration(initializers = GenericWebhookGatewayIT.Environment.class)
class GenericWebhookGatewayIT {

  static final String CI_TOKEN = "ci-token-7d1e0c";
  static final String DEPLOY_TOKEN = "deploy-token-a42f";
  static final String ENV_TOKEN = "env-token-5b9c";

  /**
   * Environment variables as the operating system gives them (a source named like Spring's own, so
   * that Spring Boot maps property names onto variable names as for real ones).
   */
  static class Environment
      implements ApplicationContextInitializer<ConfigurableApplicationContext> {
    @Override
    public void initialize(ConfigurableApplicationContext context) {
      context
          .getEnvironment()
          .getPropertySources()
          .addAfter(
              StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
              new SystemEnvironmentPropertySource(
                  "test-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                  Map.of("CARAVAN_WEBHOOK_TOKENS_FROM_ENV", ENV_TOKEN)));
    }
  }

  /** The token directory, as a mounted Secret gives it: one file per webhook name. */
  static final Path TOKEN_DIR = createTokenDirectory();

  private static Path createTokenDirectory() {
    try {
      return Files.createTempDirectory("caravan-webhook-tokens");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void tokenDir(DynamicPropertyRegistry registry) {
    registry.add("caravan.webhook.token-dir", TOKEN_DIR::toString);
  }

  @AfterAll
  static void removeTokenDirectory() throws IOException {
    FileSystemUtils.deleteRecursively(TOKEN_DIR);
  }

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final HttpClient http = HttpClient.newHttpClient();

  private URI uri(String name) {
    return URI.create("http://127.0.0.1:" + port + "/events/webhook/" + name);
  }

  private HttpResponse<String> post(String name, String body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(name)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A plain JSON delivery to the ci webhook with its token, plus the given headers. */
  private HttpResponse<String> postCi(String body, String... headers) throws Exception {
    List<String> all =
        new ArrayList<>(
            List.of("Authorization", "Bearer " + CI_TOKEN, "Content-Type", "application/json"));
    all.addAll(List.of(headers));
    return post("ci", body, all.toArray(String[]::new));
  }

  private EventStore store() {
    return camel.getComponent("event", EventComponent.class).getStore();
  }

  private static String newId() {
    return "evt-" + UUID.randomUUID();
  }

  private static void assertError(HttpResponse<String> response, int status, String error)
      throws Exception {
    GatewayResponses.assertJsonError(
        response,
        status,
        error,
        CI_TOKEN,
        DEPLOY_TOKEN,
        ENV_TOKEN,
        "first-token-3c9e",
        "second-token-77a1b",
        "file-token-0d2c",
        "deploy-prod",
        "from-env");
  }

  @Test
  void storesAPlainJsonDelivery() throws Exception {
    String id = newId();
    String body = "{\"build\": {\"number\": 17, \"status\": \"passed\"}}";

    HttpResponse<String> response =
        postCi(body, "X-Event-Type", "build", "X-Event-Id", id, "X-Event-Subject", "octo/repo");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    assertThat(json(response.body()).path("id").asText()).isEqualTo(id);
    // the runs queued with the event: one for the pipeline another test adds, once it is there
    List<String> pipelines = new ArrayList<>();
    json(response.body()).path("runs").forEach(run -> pipelines.add(run.path("pipeline").asText()));
    assertThat(pipelines)
        .isEqualTo(
            camel.getRoute("test-ci-builds") == null ? List.of() : List.of("test-ci-builds"));
    assertThat(response.headers().firstValue("Location")).hasValue("/api/events/" + id);
    Event event = store().find(id).orElseThrow();
    assertThat(event.source()).isEqualTo("webhook/ci");
    assertThat(event.type()).isEqualTo("build");
    assertThat(event.subject()).isEqualTo("octo/repo");
    assertThat(event.labels()).isEqualTo(Map.of("webhook", "ci"));
    assertThat(json(event.data())).isEqualTo(json(body));
  }

  @Test
  void aPlainDeliveryWithoutTypeOrIdGetsTheDefaultTypeAndANewId() throws Exception {
    HttpResponse<String> response = postCi("[1, 2, 3]");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    String id = json(response.body()).path("id").asText();
    assertThat(UUID.fromString(id).version()).as("a random UUID: %s", id).isEqualTo(4);
    Event event = store().find(id).orElseThrow();
    assertThat(event.type()).isEqualTo("webhook");
    assertThat(event.subject()).isNull();
    assertThat(event.data()).isEqualTo("[1, 2, 3]");
  }

  @Test
  void aRedeliveryIsADuplicate() throws Exception {
    String id = newId();
    assertThat(postCi("{\"n\":1}", "X-Event-Id", id).statusCode()).isEqualTo(202);

    HttpResponse<String> again = postCi("{\"n\":1}", "X-Event-Id", id);

    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(json(again.body()))
        .isEqualTo(json("{\"id\":\"" + id + "\",\"duplicate\":true,\"runs\":[]}"));
  }

  @Test
  void storesACloudEventInStructuredMode() throws Exception {
    String id = newId();
    String cloudEvent =
        """
        {"specversion": "1.0", "id": "%s", "source": "https://ci.example.com/pipelines/7",
         "type": "com.example.build.finished", "subject": "octo/repo",
         "time": "2025-05-01T12:00:00Z", "datacontenttype": "application/json",
         "data": {"number": 7, "status": "failed"}}
        """
            .formatted(id);

    HttpResponse<String> response =
        post(
            "deploy-prod",
            cloudEvent,
            "Authorization",
            "Bearer " + DEPLOY_TOKEN,
            "Content-Type",
            "application/cloudevents+json; charset=utf-8");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    Event event = store().find(id).orElseThrow();
    assertThat(event.source()).isEqualTo("webhook/deploy-prod");
    assertThat(event.type()).isEqualTo("com.example.build.finished");
    assertThat(event.subject()).isEqualTo("octo/repo");
    assertThat(event.time()).isEqualTo(Instant.parse("2025-05-01T12:00:00Z"));
    assertThat(event.labels())
        .isEqualTo(
            Map.of("webhook", "deploy-prod", "cesource", "https://ci.example.com/pipelines/7"));
    assertThat(json(event.data())).isEqualTo(json("{\"number\": 7, \"status\": \"failed\"}"));
  }

  @Test
  void storesACloudEventInBinaryMode() throws Exception {
    String id = newId();

    HttpResponse<String> response =
        postCi(
            "{\"number\": 8}",
            "ce-specversion",
            "1.0",
            "ce-id",
            id,
            "ce-type",
            "build",
            "ce-source",
            "/ci/runner-3",
            "ce-subject",
            "octo/repo",
            "ce-time",
            "2025-05-02T08:30:00+02:00");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    Event event = store().find(id).orElseThrow();
    assertThat(event.source()).isEqualTo("webhook/ci");
    assertThat(event.type()).isEqualTo("build");
    assertThat(event.subject()).isEqualTo("octo/repo");
    assertThat(event.time()).isEqualTo(Instant.parse("2025-05-02T06:30:00Z"));
    assertThat(event.labels()).isEqualTo(Map.of("webhook", "ci", "cesource", "/ci/runner-3"));
    assertThat(json(event.data())).isEqualTo(json("{\"number\": 8}"));
  }

  @Test
  void dataIsStoredAsSentInEveryFormat() throws Exception {
    String data = "{ \"n\": 1e999999999, \"price\": 1.10,\n \"s\": \"\\u00e9\" }";
    String plain = newId();
    String structured = newId();
    String binary = newId();

    HttpResponse<String> plainAnswer = postCi(data, "X-Event-Id", plain);
    HttpResponse<String> structuredAnswer =
        post(
            "ci",
            "{\"specversion\":\"1.0\",\"id\":\""
                + structured
                + "\",\"type\":\"t\",\"data\": "
                + data
                + " }",
            "Authorization",
            "Bearer " + CI_TOKEN,
            "Content-Type",
            "application/cloudevents+json");
    HttpResponse<String> binaryAnswer =
        postCi(data, "ce-specversion", "1.0", "ce-id", binary, "ce-type", "t");

    assertThat(List.of(plainAnswer, structuredAnswer, binaryAnswer))
        .allSatisfy(answer -> assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202));
    for (String id : List.of(plain, structured, binary)) {
      assertThat(store().find(id).orElseThrow().data()).as(id).isEqualTo(data);
    }
  }

  @Test
  void utf8HeaderValuesAreStoredAsTheirText() throws Exception {
    String id = "évènement-✓-" + UUID.randomUUID();
    String body = "{}";
    byte[] request =
        ("POST /events/webhook/ci HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + CI_TOKEN
                + "\r\nContent-Type: application/json\r\nX-Event-Id: "
                + id
                + "\r\nX-Event-Type: déployé\r\nX-Event-Subject: dépôt/✓\r\nContent-Length: "
                + body.length()
                + "\r\nConnection: close\r\n\r\n"
                + body)
            .getBytes(StandardCharsets.UTF_8);

    String answer;
    try (var socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    assertThat(answer).startsWith("HTTP/1.1 202");
    Event event = store().find(id).orElseThrow();
    assertThat(event.type()).isEqualTo("déployé");
    assertThat(event.subject()).isEqualTo("dépôt/✓");
  }

  @Test
  void tokensComeFromEnvironmentVariablesToo() throws Exception {
    HttpResponse<String> response =
        post(
            "from-env",
            "{}",
            "Authorization",
            "Bearer " + ENV_TOKEN,
            "Content-Type",
            "application/json");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    String id = json(response.body()).path("id").asText();
    assertThat(store().find(id).orElseThrow().source()).isEqualTo("webhook/from-env");
  }

  @Test
  void tokenFilesAreReadWithoutARestart() throws Exception {
    String[] json = {"Content-Type", "application/json"};
    String[] first = with(json, "Authorization", "Bearer first-token-3c9e");
    String[] second = with(json, "Authorization", "Bearer second-token-77a1b");

    // no token yet: the answer names the settings that give the webhook one
    HttpResponse<String> missing = post("hot", "{}", first);
    assertError(missing, 404, "not found");
    assertThat(json(missing.body()).path("detail").asText())
        .contains(
            "CARAVAN_WEBHOOK_TOKENS_HOT",
            "caravan.webhook.tokens.hot",
            "a file named hot",
            "CARAVAN_WEBHOOK_TOKEN_DIR")
        .doesNotContain(TOKEN_DIR.toString());

    // a file added while Caravan runs (a trailing newline is not part of the token)
    Files.writeString(TOKEN_DIR.resolve("hot"), "first-token-3c9e\n");
    assertThat(post("hot", "{}", first).statusCode()).isEqualTo(202);

    // a changed file replaces the token
    Files.writeString(TOKEN_DIR.resolve("hot"), "second-token-77a1b\n");
    assertError(post("hot", "{}", first), 401, "unauthorized");
    assertThat(post("hot", "{}", second).statusCode()).isEqualTo(202);

    // replaced the way the kubelet updates a mounted Secret (a new file moved over the old one)
    Path next = Files.writeString(TOKEN_DIR.resolve(".next"), "first-token-3c9e");
    Files.move(next, TOKEN_DIR.resolve("hot"), StandardCopyOption.ATOMIC_MOVE);
    assertError(post("hot", "{}", second), 401, "unauthorized");
    assertThat(post("hot", "{}", first).statusCode()).isEqualTo(202);

    // a removed file refuses again
    Files.delete(TOKEN_DIR.resolve("hot"));
    assertError(post("hot", "{}", first), 404, "not found");
  }

  @Test
  void aTokenPropertyWinsOverATokenFile() throws Exception {
    Files.writeString(TOKEN_DIR.resolve("ci"), "file-token-0d2c");

    assertError(
        post(
            "ci",
            "{}",
            "Authorization",
            "Bearer file-token-0d2c",
            "Content-Type",
            "application/json"),
        401,
        "unauthorized");
    assertThat(postCi("{}").statusCode()).isEqualTo(202);
  }

  @Test
  void refusesBadRequestsWithJsonErrorsAndStoresNothing() throws Exception {
    String id = newId();
    String body = "{\"n\": 1}";
    String[] json = {"Content-Type", "application/json", "X-Event-Id", id};

    // who may publish
    assertError(post("ci", body, json), 401, "unauthorized");
    assertError(post("ci", body, with(json, "Authorization", "Bearer wrong")), 401, "unauthorized");
    assertError(
        post("ci", body, with(json, "Authorization", "Bearer " + DEPLOY_TOKEN)),
        401,
        "unauthorized");
    assertError(
        post("ci", body, with(json, "Authorization", "Basic " + CI_TOKEN)), 401, "unauthorized");
    assertError(post("ci", body, with(json, "Authorization", "Bearer ")), 401, "unauthorized");
    assertError(
        post("nightly", body, with(json, "Authorization", "Bearer " + CI_TOKEN)), 404, "not found");
    assertError(
        post("deploy", body, with(json, "Authorization", "Bearer " + DEPLOY_TOKEN)),
        404,
        "not found");
    // the path names the webhook, not a request header of the same name
    assertError(
        post("nightly", body, with(json, "Authorization", "Bearer " + CI_TOKEN, "name", "ci")),
        404,
        "not found");
    for (String badName :
        new String[] {
          "CI", "-ci", "ci_1", "ci.json", "a".repeat(64), "%2E%2E", "ci%20x", "%C3%A9"
        }) {
      assertError(
          post(badName, body, with(json, "Authorization", "Bearer " + CI_TOKEN)),
          400,
          "bad request");
    }

    // what may be published
    String[] authorized = with(json, "Authorization", "Bearer " + CI_TOKEN);
    assertError(post("ci", "{\"n\": ", authorized), 400, "bad request");
    assertError(post("ci", "", authorized), 400, "bad request");
    assertError(
        post("ci", body, "Authorization", "Bearer " + CI_TOKEN, "Content-Type", "text/plain"),
        415,
        "unsupported media type");
    assertError(
        post("ci", body, "Authorization", "Bearer " + CI_TOKEN), 415, "unsupported media type");
    assertError(
        post(
            "ci",
            "{\"specversion\":\"1.0\",\"type\":\"build\",\"source\":\"/x\"}",
            "Authorization",
            "Bearer " + CI_TOKEN,
            "Content-Type",
            "application/cloudevents+json"),
        400,
        "bad request");
    assertError(
        post(
            "ci",
            "{\"specversion\":\"0.3\",\"id\":\"" + id + "\",\"type\":\"build\",\"source\":\"/x\"}",
            "Authorization",
            "Bearer " + CI_TOKEN,
            "Content-Type",
            "application/cloudevents+json"),
        400,
        "bad request");
    assertError(
        post("ci", body, with(authorized, "ce-specversion", "1.0", "ce-id", id)),
        400,
        "bad request");
    assertError(
        post("ci", body, with(authorized, "ce-specversion", "1.0", "ce-type", "build")),
        400,
        "bad request");
    assertError(
        post(
            "ci", body, with(authorized, "ce-specversion", "0.3", "ce-id", id, "ce-type", "build")),
        400,
        "bad request");
    assertError(
        post(
            "ci",
            body,
            with(
                authorized,
                "ce-specversion",
                "1.0",
                "ce-id",
                id,
                "ce-type",
                "build",
                "ce-time",
                "yesterday")),
        400,
        "bad request");
    for (String method : new String[] {"GET", "PUT", "DELETE"}) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri("ci"))
                  .method(method, HttpRequest.BodyPublishers.ofString(body))
                  .headers(authorized)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(method).isEqualTo(405);
      assertThat(json(response.body()).path("error").asText()).isEqualTo("method not allowed");
    }
    assertThat(store().find(id)).isEmpty();

    // the gateway still takes a good delivery afterwards
    assertThat(post("ci", body, authorized).statusCode()).isEqualTo(202);
    assertThat(store().find(id)).isPresent();
  }

  @Test
  void pathsThatAreNotOneWebhookNameAreRefused() throws Exception {
    String[] headers = {"Authorization", "Bearer " + CI_TOKEN, "Content-Type", "application/json"};
    for (String path : new String[] {"ci/extra", ""}) {
      assertError(post(path, "{}", headers), 404, "not found");
    }
    // Tomcat itself refuses an encoded '/' (its own 400 page, before Caravan sees the request)
    for (String path : new String[] {"..%2Fgithub", "%2F", "ci%2F..%2F..%2Fgithub"}) {
      assertThat(post(path, "{}", headers).statusCode()).as(path).isEqualTo(400);
    }
  }

  @Test
  void requestHeadersCannotChooseTheSource() throws Exception {
    String id = newId();

    HttpResponse<String> response =
        postCi(
            "{}",
            "X-Event-Id",
            id,
            "CaravanEventSource",
            "webhook/deploy-prod",
            "CaravanEventType",
            "forged");

    assertThat(response.statusCode()).isEqualTo(202);
    Event event = store().find(id).orElseThrow();
    assertThat(event.source()).isEqualTo("webhook/ci");
    assertThat(event.type()).isEqualTo("webhook");
  }

  @Test
  void aPipelineSubscribedToTheWebhookReceivesItsEvents() throws Exception {
    List<Exchange> received = new CopyOnWriteArrayList<>();
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:webhook/ci?types=build").routeId("test-ci-builds").process(received::add);
          }
        });
    String other = newId();
    String build = newId();
    assertThat(postCi("{}", "X-Event-Type", "deploy", "X-Event-Id", other).statusCode())
        .isEqualTo(202);
    assertThat(
            post(
                    "deploy-prod",
                    "{}",
                    "Authorization",
                    "Bearer " + DEPLOY_TOKEN,
                    "Content-Type",
                    "application/json",
                    "X-Event-Type",
                    "build")
                .statusCode())
        .isEqualTo(202);

    assertThat(
            postCi(
                    "{\"number\": 9}",
                    "X-Event-Type",
                    "build",
                    "X-Event-Id",
                    build,
                    "X-Event-Subject",
                    "octo/repo")
                .statusCode())
        .isEqualTo(202);

    await().atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());
    Exchange run = received.get(0);
    assertThat(run.getMessage().getHeader(EventConstants.EVENT_ID)).isEqualTo(build);
    assertThat(run.getMessage().getHeader(EventConstants.EVENT_SOURCE)).isEqualTo("webhook/ci");
    assertThat(run.getMessage().getHeader(EventConstants.EVENT_TYPE)).isEqualTo("build");
    assertThat(run.getMessage().getHeader(EventConstants.EVENT_SUBJECT)).isEqualTo("octo/repo");
    assertThat(run.getMessage().getBody(Map.class)).isEqualTo(Map.of("number", 9));
    assertThat(received).hasSize(1);
  }

  private static String[] with(String[] headers, String... more) {
    List<String> all = new ArrayList<>(List.of(headers));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
