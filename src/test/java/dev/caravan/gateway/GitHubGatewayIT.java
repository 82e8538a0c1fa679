package dev.caravan.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.app.CaravanApplication;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.github.webhook-secret=" + GitHubGatewayIT.SECRET,
      "caravan.gateways.max-body-bytes=65536",
      "spring.datasource.url=jdbc:h2:mem:github-gateway;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
class GitHubGatewayIT {

  static final String SECRET = "It's a Secret to Everybody";
  private static final String PUSH =
      "{\"ref\":\"refs/heads/main\",\"after\":\"abc123\",\"repository\":{\"full_name\":"
          + "\"octo/hello\",\"clone_url\":\"https://github.com/octo/hello.git\"},"
          + "\"head_commit\":{\"message\":\"$(touch /tmp/pwned); `id`\"}}";
  private static final String PULL_REQUEST =
      "{\"action\":\"opened\",\"number\":7,\"pull_request\":{\"title\":\"Add & fix\",\"head\":"
          + "{\"ref\":\"feature\",\"sha\":\"def456\"}},\"repository\":{\"full_name\":"
          + "\"octo/hello\",\"clone_url\":\"https://github.com/octo/hello.git\"}}";

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final HttpClient http = HttpClient.newHttpClient();

  /** Static: the test pipeline is added once and outlives the test instance that added it. */
  private static final List<String> stepOutputs = new CopyOnWriteArrayList<>();

  private static int delivery;

  @BeforeEach
  void addTestPipeline() throws Exception {
    stepOutputs.clear();
    if (camel.getRoute("test-pr-pipeline") == null) {
      camel.addRoutes(
          new RouteBuilder() {
            @Override
            public void configure() {
              from("event:github?types=pull_request:opened")
                  .routeId("test-pr-pipeline")
                  .to(
                      "kjob:pr-title?env.TITLE=${body[pull_request][title]}"
                          + "&script=echo \"title: $TITLE on $CARAVAN_EVENT_SUBJECT\"")
                  .process(e -> stepOutputs.add(e.getMessage().getBody(String.class)));
            }
          });
    }
  }

  private EventStore store() {
    return camel.getComponent("event", EventComponent.class).getStore();
  }

  private static String nextId() {
    return "delivery-" + (++delivery) + "-" + System.nanoTime();
  }

  private static String sign(byte[] body) {
    return "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body));
  }

  private HttpResponse<String> post(byte[] body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> deliver(String event, String id, String json) throws Exception {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    return post(
        body,
        "Content-Type",
        "application/json",
        "X-GitHub-Event",
        event,
        "X-GitHub-Delivery",
        id,
        "X-Hub-Signature-256",
        sign(body));
  }

  @Test
  void signedJsonDeliveryIsStoredAsAnEvent() throws Exception {
    String id = nextId();

    HttpResponse<String> response = deliver("push", id, PUSH);

    assertThat(response.statusCode()).isEqualTo(202);
    // the run queued with the event: the on-push example subscribes to push
    assertThat(response.body())
        .matches(
            "\\{\"id\":\""
                + id
                + "\",\"runs\":\\[\\{\"id\":\"[^\"]+\",\"pipeline\":\"on-push\"}]}");
    assertThat(response.headers().firstValue("Location")).hasValue("/api/events/" + id);
    Event stored = store().find(id).orElseThrow();
    assertThat(stored.source()).isEqualTo("github");
    assertThat(stored.type()).isEqualTo("push");
    assertThat(stored.subject()).isEqualTo("octo/hello");
    assertThat(stored.labels())
        .containsEntry("ref", "refs/heads/main")
        .containsEntry("commit", "abc123")
        .containsEntry("cloneUrl", "https://github.com/octo/hello.git");
    assertThat(stored.data()).contains("\"after\":\"abc123\"");
  }

  @Test
  void checkSuiteAndCheckRunEventsNameTheirCommitBranchInstallationAndCheckRun() throws Exception {
    String suite = nextId();
    String run = nextId();

    HttpResponse<String> suiteAnswer =
        deliver(
            "check_suite",
            suite,
            """
            {"action":"rerequested","check_suite":{"head_branch":"feature","head_sha":"c0ffee1"},
             "repository":{"full_name":"octo/hello","clone_url":"https://github.com/octo/hello.git"},
             "installation":{"id":4242},"sender":{"login":"ada"}}""");
    HttpResponse<String> runAnswer =
        deliver(
            "check_run",
            run,
            """
            {"action":"rerequested","check_run":{"id":99,"external_id":"run-7","head_sha":"c0ffee2",
             "check_suite":{"head_branch":"feature"}},"repository":{"full_name":"octo/hello"},
             "installation":{"id":4242}}""");

    assertThat(suiteAnswer.statusCode()).isEqualTo(202);
    assertThat(runAnswer.statusCode()).isEqualTo(202);
    Event storedSuite = store().find(suite).orElseThrow();
    assertThat(storedSuite.type()).isEqualTo("check_suite:rerequested");
    assertThat(storedSuite.labels())
        .containsEntry("ref", "feature")
        .containsEntry("commit", "c0ffee1")
        .containsEntry("installation", "4242")
        .doesNotContainKey("checkRunId");
    Event storedRun = store().find(run).orElseThrow();
    assertThat(storedRun.type()).isEqualTo("check_run:rerequested");
    assertThat(storedRun.labels())
        .containsEntry("ref", "feature")
        .containsEntry("commit", "c0ffee2")
        .containsEntry("installation", "4242")
        .containsEntry("checkRunId", "99")
        .containsEntry("checkRunExternalId", "run-7");
  }

  @Test
  void nonAsciiPayloadsKeepTheirExactBytes() throws Exception {
    String id = nextId();

    HttpResponse<String> response = deliver("push", id, PUSH.replace("main", "Ünïcødé-✓"));

    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(store().find(id).orElseThrow().labels())
        .containsEntry("ref", "refs/heads/Ünïcødé-✓");
  }

  @Test
  void theStoredPayloadIsTheSignedTextNotAReencodedCopy() throws Exception {
    String id = nextId();
    String payload =
        PUSH.replace("{\"ref\"", "{ \"huge\": 1e999999999, \"price\": 1.10,\n \"ref\"");

    HttpResponse<String> response = deliver("push", id, payload);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    assertThat(store().find(id).orElseThrow().data()).isEqualTo(payload);
    for (String path : new String[] {"/api/events/" + id, "/api/events?source=github&limit=500"}) {
      String answer =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(answer).as(path).contains("\"data\":" + payload).doesNotContain("Infinity");
    }
  }

  @Test
  void aUtf8DeliveryIdIsStoredAsItsText() throws Exception {
    String id = "délivrée-✓-" + System.nanoTime();
    byte[] body = PUSH.getBytes(StandardCharsets.UTF_8);
    byte[] head =
        ("POST /events/github HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "X-GitHub-Event: push\r\nX-GitHub-Delivery: "
                + id
                + "\r\nX-Hub-Signature-256: "
                + sign(body)
                + "\r\nContent-Length: "
                + body.length
                + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8);

    String answer = rawExchange(head, body);

    assertThat(answer).startsWith("HTTP/1.1 202");
    assertThat(store().find(id)).as("stored under its UTF-8 text").isPresent();
    assertThat(answer).contains("{\"id\":\"" + id + "\",\"runs\":[");
  }

  /** Sends bytes as they are (the HTTP client refuses non-ASCII header values) and reads all. */
  private String rawExchange(byte[] head, byte[] body) throws Exception {
    try (var socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(head);
      socket.getOutputStream().write(body);
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void formEncodedDeliveryIsVerifiedOverTheRawBody() throws Exception {
    String id = nextId();
    byte[] form =
        ("payload=" + URLEncoder.encode(PUSH, StandardCharsets.UTF_8))
            .getBytes(StandardCharsets.UTF_8);

    HttpResponse<String> response =
        post(
            form,
            "Content-Type",
            "application/x-www-form-urlencoded",
            "X-GitHub-Event",
            "push",
            "X-GitHub-Delivery",
            id,
            "X-Hub-Signature-256",
            sign(form));

    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(store().find(id).orElseThrow().data()).contains("\"after\":\"abc123\"");
  }

  @Test
  void signedPullRequestRunsThePipelineStepWithTheTitleAsDataOnly() throws Exception {
    String id = nextId();

    HttpResponse<String> response = deliver("pull_request", id, PULL_REQUEST);

    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(store().find(id).orElseThrow().type()).isEqualTo("pull_request:opened");
    await().atMost(Duration.ofSeconds(20)).until(() -> !stepOutputs.isEmpty());
    assertThat(stepOutputs).containsExactly("title: Add & fix on octo/hello\n");
  }

  @Test
  void redeliveryOfTheSameIdIsReportedAsDuplicateAndStartsNoSecondRun() throws Exception {
    String id = nextId();

    HttpResponse<String> first = deliver("pull_request", id, PULL_REQUEST);
    HttpResponse<String> again = deliver("pull_request", id, PULL_REQUEST);

    assertThat(again.statusCode()).isEqualTo(200);
    // the duplicate names the runs the stored event got the first time
    String runs = first.body().substring(first.body().indexOf(",\"runs\":"));
    assertThat(runs).contains("\"pipeline\":\"test-pr-pipeline\"");
    assertThat(again.body()).isEqualTo("{\"id\":\"" + id + "\",\"duplicate\":true" + runs);
    await().atMost(Duration.ofSeconds(20)).until(() -> !stepOutputs.isEmpty());
    String later = nextId();
    deliver("pull_request", later, PULL_REQUEST);
    await().atMost(Duration.ofSeconds(20)).until(() -> stepOutputs.size() == 2);
  }

  @Test
  void pingIsAnsweredByTheGatewayAndNotStored() throws Exception {
    String id = nextId();

    HttpResponse<String> response = deliver("ping", id, "{\"zen\":\"Keep it logically awesome.\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"ping\":\"pong\"}");
    assertThat(store().find(id)).isEmpty();
  }

  @Test
  void badInputGetsItsStatusAndJsonErrorAndStoresNothing() throws Exception {
    byte[] push = PUSH.getBytes(StandardCharsets.UTF_8);
    byte[] altered = PUSH.replace("abc123", "evil99").getBytes(StandardCharsets.UTF_8);
    byte[] malformed = "{\"ref\": ".getBytes(StandardCharsets.UTF_8);
    byte[] deep = ("[".repeat(10_000) + "]".repeat(10_000)).getBytes(StandardCharsets.UTF_8);
    byte[] notUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    byte[] tooLarge = ("{\"x\":\"" + "a".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    List<Object[]> cases = new ArrayList<>();
    cases.add(new Object[] {"no signature", push, null, "application/json", "push", 401});
    cases.add(new Object[] {"wrong signature", push, "sha256=00", "application/json", "push", 401});
    cases.add(new Object[] {"altered body", altered, sign(push), "application/json", "push", 401});
    cases.add(
        new Object[] {"malformed", malformed, sign(malformed), "application/json", "push", 400});
    cases.add(new Object[] {"deep", deep, sign(deep), "application/json", "push", 400});
    cases.add(new Object[] {"not utf-8", notUtf8, sign(notUtf8), "application/json", "push", 400});
    cases.add(new Object[] {"content type", push, sign(push), "text/xml", "push", 415});
    cases.add(new Object[] {"no event", push, sign(push), "application/json", null, 400});
    cases.add(
        new Object[] {"too large", tooLarge, sign(tooLarge), "application/json", "push", 413});
    for (Object[] bad : cases) {
      String id = nextId();
      List<String> headers = new ArrayList<>(List.of("X-GitHub-Delivery", id));
      headers.addAll(List.of("Content-Type", (String) bad[3]));
      if (bad[2] != null) {
        headers.addAll(List.of("X-Hub-Signature-256", (String) bad[2]));
      }
      if (bad[4] != null) {
        headers.addAll(List.of("X-GitHub-Event", (String) bad[4]));
      }

      HttpResponse<String> response = post((byte[]) bad[1], headers.toArray(String[]::new));

      assertThat(response.statusCode()).as((String) bad[0]).isEqualTo(bad[5]);
      assertThat(response.body())
          .as((String) bad[0])
          .startsWith("{\"error\":\"")
          .contains("\"detail\":");
      assertThat(response.body()).doesNotContain(SECRET);
      assertThat(store().find(id)).as((String) bad[0]).isEmpty();
    }
    assertThat(deliver("push", nextId(), PUSH).statusCode())
        .as("a good delivery still works")
        .isEqualTo(202);
  }

  @Test
  void otherMethodsGet405AsJson() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.body()).startsWith("{\"error\":\"method not allowed\"");
  }

  @Test
  void theDeclaredLengthIsRejectedBeforeTheBodyIsRead() throws Exception {
    try (var socket = new Socket("127.0.0.1", port)) {
      socket
          .getOutputStream()
          .write(
              ("POST /events/github HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      + "Content-Length: 104857600\r\n\r\n{")
                  .getBytes(StandardCharsets.US_ASCII));
      socket.setSoTimeout(10_000);
      String status =
          new BufferedReader(
                  new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      assertThat(status).startsWith("HTTP/1.1 413");
    }
  }

  @Test
  void requestHeadersNamedLikeCaravanHeadersCannotSteerTheEvent() throws Exception {
    String id = nextId();
    byte[] body = PUSH.getBytes(StandardCharsets.UTF_8);

    post(
        body,
        "Content-Type",
        "application/json",
        "X-GitHub-Event",
        "push",
        "X-GitHub-Delivery",
        id,
        "X-Hub-Signature-256",
        sign(body),
        "CaravanEventLabels",
        "injected",
        "CaravanEventSubject",
        "evil/repo");

    assertThat(store().find(id).orElseThrow().subject()).isEqualTo("octo/hello");
    assertThat(store().find(id).orElseThrow().labels()).doesNotContainValue("injected");
  }
}
