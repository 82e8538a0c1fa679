package dev.caravan.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventStore;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Bad input to the gateways and the REST API: every case gets its documented status and the JSON
 * error shape {@code {"error": ..., "detail": ...}} (also where Spring or Tomcat answer before any
 * route, and whatever the {@code Accept} header), nothing is stored, no run starts, and good
 * requests still work afterwards. GitHub's own matrix is in GitHubGatewayIT.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.webhook.tokens.ci=" + BadInputMatrixIT.TOKEN,
      "caravan.github.webhook-secret=" + BadInputMatrixIT.SECRET,
      "caravan.gateways.max-body-bytes=65536",
      "spring.datasource.url=jdbc:h2:mem:bad-input-matrix-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
class BadInputMatrixIT {

  static final String TOKEN = "bad-input-token-91ab";
  static final String SECRET = "bad-input-secret-3f07";

  /** Every HTTP gateway (and the example platform-http route): what holds for one holds for all. */
  private static final String[] GATEWAYS = {
    "/events/github", "/events/webhook/ci", "/events/trello", "/hello"
  };

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private EventStore store() {
    return camel.getComponent("event", EventComponent.class).getStore();
  }

  private int storedEvents() {
    return store().events(null, null, null, 500, 0).size();
  }

  private int runs() throws Exception {
    return json.readTree(send("GET", "/api/runs?limit=500", null).body()).get("items").size();
  }

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
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> webhook(String name, byte[] body, String contentType, String id)
      throws Exception {
    return send(
        "POST",
        "/events/webhook/" + name,
        body,
        "Authorization",
        "Bearer " + TOKEN,
        "Content-Type",
        contentType,
        "X-Event-Id",
        id);
  }

  /** Sends raw bytes and reads the answer until the server closes or 10 s pass. */
  private String raw(String head, byte[] tail) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().write(tail);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          answer.write(buffer, 0, n);
          if (answer.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")
              && complete(answer.toString(StandardCharsets.ISO_8859_1))) {
            break;
          }
        }
      } catch (SocketTimeoutException | SocketException e) {
        // what arrived so far is the answer
      }
      return answer.toString(StandardCharsets.UTF_8);
    }
  }

  /** Whether a raw answer holds its whole body (Content-Length or the last chunk). */
  private static boolean complete(String answer) {
    int end = answer.indexOf("\r\n\r\n");
    String head = answer.substring(0, end).toLowerCase();
    String body = answer.substring(end + 4);
    for (String line : head.split("\r\n")) {
      if (line.startsWith("content-length:")) {
        return body.length() >= Integer.parseInt(line.substring(15).trim());
      }
    }
    return head.contains("transfer-encoding: chunked") ? body.endsWith("0\r\n\r\n") : false;
  }

  private void expectJsonError(
      SoftAssertions soft, String what, HttpResponse<String> response, int status) {
    soft.assertThat(response.statusCode()).as(what + " -> " + response.body()).isEqualTo(status);
    soft.assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .as(what + " content type")
        .startsWith("application/json");
    try {
      JsonNode error = json.readTree(response.body());
      soft.assertThat(error.path("error").asText()).as(what + " error").isNotBlank();
      soft.assertThat(error.path("detail").asText()).as(what + " detail").isNotBlank();
    } catch (Exception e) {
      soft.fail(what + ": not JSON: " + response.body());
    }
  }

  /** A raw HTTP/1.1 answer has the status, an application/json body and the error shape. */
  private void expectRawJsonError(SoftAssertions soft, String what, String answer, int status) {
    soft.assertThat(answer).as(what + " status").startsWith("HTTP/1.1 " + status + " ");
    int end = answer.indexOf("\r\n\r\n");
    if (end < 0) {
      soft.fail(what + ": no complete answer: " + answer);
      return;
    }
    String head = answer.substring(0, end).toLowerCase();
    String body = answer.substring(end + 4);
    soft.assertThat(head).as(what + " content type").contains("content-type: application/json");
    if (head.contains("transfer-encoding: chunked")) {
      body = body.substring(body.indexOf("\r\n") + 2, body.lastIndexOf("\r\n0\r\n"));
    }
    try {
      JsonNode error = json.readTree(body);
      soft.assertThat(error.path("error").asText()).as(what + " error").isNotBlank();
      soft.assertThat(error.path("detail").asText()).as(what + " detail").isNotBlank();
      soft.assertThat(body).as(what + " no internals").doesNotContain("Exception", "\tat ");
    } catch (Exception e) {
      soft.fail(what + ": not JSON: " + body);
    }
  }

  private static String sign(byte[] body) {
    return "sha256="
        + HexFormat.of().formatHex(dev.caravan.gateway.Signatures.hmac("HmacSHA256", SECRET, body));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void badInputGetsItsStatusStoresNothingAndStartsNoRun() throws Exception {
    int eventsBefore = storedEvents();
    int runsBefore = runs();
    List<String> ids = new ArrayList<>();
    SoftAssertions soft = new SoftAssertions();

    // bodies
    byte[] deep = utf8("[".repeat(10_000) + "]".repeat(10_000));
    byte[] deepObject = utf8("{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000));
    byte[] notUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
    Object[][] bodies = {
      {"truncated", utf8("{\"n\": [1, 2"), "application/json", 400},
      {"truncated string", utf8("{\"n\": \"abc"), "application/json", 400},
      {"trailing garbage", utf8("{\"n\": 1} x"), "application/json", 400},
      {"deep array", deep, "application/json", 400},
      {"deep object", deepObject, "application/json", 400},
      {"invalid utf-8", notUtf8, "application/json", 400},
      {"overlong utf-8", overlong, "application/json", 400},
      {"text/plain", utf8("{}"), "text/plain", 415},
      {"xml", utf8("<a/>"), "application/xml", 415},
      {"form", utf8("a=b"), "application/x-www-form-urlencoded", 415},
      {"multipart", utf8("--x--"), "multipart/form-data; boundary=x", 415},
      {"octet-stream", utf8("{}"), "application/octet-stream", 415},
      {
        "truncated cloudevent",
        utf8("{\"specversion\":\"1.0\","),
        "application/cloudevents+json",
        400
      },
    };
    for (Object[] bad : bodies) {
      String id = "bad-" + UUID.randomUUID();
      ids.add(id);
      expectJsonError(
          soft, (String) bad[0], webhook("ci", (byte[]) bad[1], (String) bad[2], id), (int) bad[3]);
    }

    // webhook names: odd characters answer 400 from Caravan's name check (neither the client nor
    // Tomcat resolves '..' or '%2e%2e' here, so it reaches the gateway as the name)
    Object[][] names = {
      {"..", 400},
      {"%2e%2e", 400},
      {"%2E%2E%2Fgithub", 400},
      {"a%20b", 400},
      {"%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400},
      {"ci%00", 400},
      {"ci;x=y", 400},
      {"a".repeat(5000), 400},
    };
    for (Object[] name : names) {
      String id = "bad-" + UUID.randomUUID();
      ids.add(id);
      HttpResponse<String> response = webhook((String) name[0], utf8("{}"), "application/json", id);
      String what =
          "webhook name "
              + ((String) name[0]).substring(0, Math.min(40, ((String) name[0]).length()));
      soft.assertThat(response.statusCode()).as(what + " -> " + response.body()).isEqualTo(name[1]);
      soft.assertThat(response.body()).as(what).doesNotContain("<script>");
    }

    // event and run ids in API paths
    String[] odd = {
      "%2e%2e", "..%2f..%2fetc%2fpasswd", "a%20b", "%3Cscript%3E", "%00", "a".repeat(4000)
    };
    for (String id : odd) {
      String label = id.substring(0, Math.min(30, id.length()));
      for (String path :
          new String[] {
            "/api/events/" + id, "/api/runs/" + id, "/api/runs/" + id + "/steps/" + id + "/logs"
          }) {
        HttpResponse<String> response = send("GET", path, null);
        soft.assertThat(response.statusCode())
            .as("GET " + label + " " + response.body())
            .isIn(400, 404);
        soft.assertThat(response.body()).as(label).doesNotContain("<script>");
      }
      HttpResponse<String> replay = send("POST", "/api/events/" + id + "/replay", null);
      soft.assertThat(replay.statusCode()).as("replay " + label).isIn(400, 404);
      HttpResponse<String> cancel = send("POST", "/api/runs/" + id + "/cancel", null);
      soft.assertThat(cancel.statusCode()).as("cancel " + label).isIn(400, 404);
    }
    for (String query :
        new String[] {
          "/api/runs?limit=99999999999999999999",
          "/api/runs?offset=abc",
          "/api/events?limit=-5",
          "/api/runs?status=%3Cscript%3E"
        }) {
      expectJsonError(soft, query, send("GET", query, null), 400);
    }

    // unknown routes
    for (String[] unknown :
        new String[][] {
          {"GET", "/no-such-route"},
          {"POST", "/events/no-such-gateway"},
          {"GET", "/api/no-such-thing"},
          {"GET", "/api/runs/x/y/z/w"},
        }) {
      expectJsonError(
          soft, unknown[0] + " " + unknown[1], send(unknown[0], unknown[1], utf8("{}")), 404);
    }

    // header injection: the HTTP client refuses CR/LF in a header value, so raw bytes. Tomcat
    // refuses these itself with 400 before Caravan sees the request (in Caravan's JSON shape).
    String injectedId = "bad-" + UUID.randomUUID();
    ids.add(injectedId);
    String request =
        "POST /events/webhook/ci HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + TOKEN
            + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n";
    String bareCr =
        raw(request + "X-Event-Id: " + injectedId + "\rX-Event-Type: forged\r\n\r\n", utf8("{}"));
    expectRawJsonError(soft, "bare CR in a header value", bareCr, 400);
    // an obsolete line folding (RFC 9112 5.2) is unfolded by Tomcat into the value with a space:
    // no second header comes of it, the event type stays the default
    String foldedId = "folded-" + UUID.randomUUID();
    String folded =
        raw(request + "X-Event-Id: " + foldedId + "\r\n X-Event-Type: forged\r\n\r\n", utf8("{}"));
    soft.assertThat(folded).as("folded header line").startsWith("HTTP/1.1 202");
    soft.assertThat(store().find(foldedId + " X-Event-Type: forged"))
        .as("the folded line is part of the id")
        .hasValueSatisfying(event -> assertThat(event.type()).isEqualTo("webhook"));
    String nul = raw(request + "X-Event-Id: " + injectedId + "\0x\r\n\r\n", utf8("{}"));
    expectRawJsonError(soft, "NUL in a header value", nul, 400);

    // a 100 MiB body announced by Content-Length is refused from the header, unread
    long start = System.nanoTime();
    String huge =
        raw(
            "POST /events/webhook/ci HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + TOKEN
                + "\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n",
            utf8("{\"a\":"));
    soft.assertThat(huge).as("100 MiB body").startsWith("HTTP/1.1 413");
    soft.assertThat(huge).as("100 MiB body answer").contains("\"error\":\"payload too large\"");
    soft.assertThat((System.nanoTime() - start) / 1_000_000).as("ms to the 413").isLessThan(5_000);

    soft.assertAll();

    // nothing stored, nothing ran
    for (String id : ids) {
      assertThat(store().find(id)).as(id).isEmpty();
    }
    assertThat(storedEvents()).as("only the folded-header event").isEqualTo(eventsBefore + 1);
    assertThat(runs()).isEqualTo(runsBefore);

    // good requests still work afterwards
    String good = "good-" + UUID.randomUUID();
    HttpResponse<String> accepted = webhook("ci", utf8("{\"n\":1}"), "application/json", good);
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    assertThat(store().find(good)).isPresent();
    assertThat(send("GET", "/api/events/" + good, null).statusCode()).isEqualTo(200);
  }

  @Test
  void formBodiesPlatformHttpCannotParseGet400AsJsonOnEveryGateway() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    for (String path : GATEWAYS) {
      for (String form : new String[] {"payload=%ZZ", "payload=%", "payload=%7", "a=b&c"}) {
        String id = "form-" + UUID.randomUUID();
        HttpResponse<String> response =
            send(
                "POST",
                path,
                utf8(form),
                "Content-Type",
                "application/x-www-form-urlencoded",
                "Authorization",
                "Bearer " + TOKEN,
                "X-GitHub-Event",
                "push",
                "X-GitHub-Delivery",
                id,
                "X-Event-Id",
                id,
                "X-Hub-Signature-256",
                sign(utf8(form)));
        expectJsonError(soft, path + " " + form, response, 400);
        soft.assertThat(store().find(id)).as(id).isEmpty();
      }
    }
    soft.assertAll();
  }

  @Test
  void errorAnswersAreJsonWhateverTheAcceptHeader() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    for (String accept : new String[] {"application/xml", "text/html", "image/png", "*/*"}) {
      Object[][] cases = {
        {"GET", "/no-such-route", null, 404},
        {"DELETE", "/events/github", null, 405},
        {"GET", "/hello", null, 405},
        {"GET", "/api/events", null, 406},
        {"GET", "/api/runs?limit=abc", null, 400},
        {"GET", "/api/events/no-such-event", null, 404},
        {"POST", "/api/runs/no-such-run/cancel", null, 404},
        {"POST", "/events/webhook/ci", "text/plain", 415},
        {"POST", "/events/github", "text/plain", 415},
      };
      for (Object[] c : cases) {
        if ("*/*".equals(accept) && (int) c[3] == 406) {
          continue; // */* accepts JSON: that request succeeds
        }
        String what = accept + " " + c[0] + " " + c[1];
        HttpResponse<String> response =
            c[2] == null
                ? send((String) c[0], (String) c[1], null, "Accept", accept)
                : send(
                    (String) c[0],
                    (String) c[1],
                    utf8("{}"),
                    "Accept",
                    accept,
                    "Authorization",
                    "Bearer " + TOKEN,
                    "Content-Type",
                    (String) c[2]);
        expectJsonError(soft, what, response, (int) c[3]);
        if ((int) c[3] == 405) {
          soft.assertThat(response.headers().firstValue("Allow")).as(what).contains("POST");
        }
      }
    }
    soft.assertAll();
  }

  @Test
  void requestsTomcatRefusesBeforeAnyServletGetTheJsonShape() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    String end = "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
    Object[][] cases = {
      {"encoded slash", "GET /events/webhook/..%2Fgithub HTTP/1.1\r\n" + end, 400},
      {"encoded slash in the API", "GET /api/events/a%2Fb HTTP/1.1\r\n" + end, 400},
      {"encoded backslash", "GET /events/webhook/a%5Cb HTTP/1.1\r\n" + end, 400},
      {"NUL in the path", "GET /events/webhook/ci%00 HTTP/1.1\r\n" + end, 400},
      {"bad escape in the path", "GET /events/%ZZ HTTP/1.1\r\n" + end, 400},
      {"raw < in the path", "GET /events/<x> HTTP/1.1\r\n" + end, 400},
      {"bad method", "G(T /api/events HTTP/1.1\r\n" + end, 400},
      {"unknown HTTP version", "GET /api/events HTTP/9.9\r\n" + end, 505},
      {"no Host", "GET /api/events HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
      {
        "oversize header",
        "GET /api/events HTTP/1.1\r\nX-Big: " + "a".repeat(20_000) + "\r\n" + end,
        400
      },
      {"too many headers", "GET /api/events HTTP/1.1\r\n" + "X-Many: v\r\n".repeat(150) + end, 400},
      {"oversize request line", "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\n" + end, 400},
      {
        "two Content-Length",
        "POST /events/webhook/ci HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n"
            + end
            + "{}",
        400
      },
      {
        "malformed chunk",
        "POST /events/webhook/ci HTTP/1.1\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer "
            + TOKEN
            + "\r\nContent-Type: application/json\r\n"
            + end
            + "ZZ\r\n",
        400
      },
    };
    for (Object[] c : cases) {
      expectRawJsonError(soft, (String) c[0], raw((String) c[1], new byte[0]), (int) c[2]);
    }
    soft.assertAll();
  }

  @Test
  void otherMethodsGet405WithAllowOnEveryGatewayWhateverTheBody() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    for (String path : GATEWAYS) {
      for (String method : new String[] {"PUT", "PATCH", "DELETE", "GET"}) {
        // curl -X PUT -d '{...}' declares a form: the method is refused before the body is looked
        // at
        for (String type : new String[] {"application/x-www-form-urlencoded", "application/json"}) {
          String what = method + " " + path + " " + type;
          HttpResponse<String> response =
              send(
                  method,
                  path,
                  "GET".equals(method) ? null : utf8("{\"a\": %ZZ}"),
                  "Content-Type",
                  type);
          expectJsonError(soft, what, response, 405);
          soft.assertThat(response.headers().firstValue("Allow").orElse(""))
              .as(what + " Allow")
              .contains("POST");
        }
      }
    }
    soft.assertAll();
  }

  @Test
  void aGatewayRequestWithoutContentTypeGets415() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    byte[] push = utf8("{\"ref\":\"refs/heads/main\",\"repository\":{\"full_name\":\"o/r\"}}");
    for (String path : new String[] {"/events/github", "/events/webhook/ci"}) {
      String id = "untyped-" + UUID.randomUUID();
      String answer =
          raw(
              "POST "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                  + TOKEN
                  + "\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: "
                  + id
                  + "\r\nX-Event-Id: "
                  + id
                  + "\r\nX-Hub-Signature-256: "
                  + sign(push)
                  + "\r\nContent-Length: "
                  + push.length
                  + "\r\nConnection: close\r\n\r\n",
              push);
      expectRawJsonError(soft, path + " without Content-Type", answer, 415);
      soft.assertThat(store().find(id)).as(id).isEmpty();
    }
    soft.assertAll();
  }

  @Test
  void headerBytesThatAreNotUtf8AreRefusedNotStoredGarbled() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    byte[] push = utf8("{\"ref\":\"refs/heads/main\",\"repository\":{\"full_name\":\"o/r\"}}");
    // "dé" in ISO-8859-1: the byte 0xE9 alone is not UTF-8
    String latin1 = "d\u00e9-" + UUID.randomUUID();
    String[][] cases = {
      {"/events/github", "X-GitHub-Delivery: " + latin1},
      {"/events/github", "X-GitHub-Event: p\u00e9sh"},
      {"/events/webhook/ci", "X-Event-Id: " + latin1},
      {"/events/webhook/ci", "X-Event-Subject: d\u00e9p\u00f4t"},
      {"/events/webhook/ci", "X-Event-Type: d\u00e9ploy"},
    };
    int before = storedEvents();
    for (String[] c : cases) {
      String name = c[1].substring(0, c[1].indexOf(':'));
      StringBuilder head = new StringBuilder("POST " + c[0] + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      for (String header :
          new String[] {
            "Authorization: Bearer " + TOKEN,
            "Content-Type: application/json",
            "X-GitHub-Event: push",
            "X-GitHub-Delivery: ok-" + UUID.randomUUID(),
            "X-Hub-Signature-256: " + sign(push),
            "Content-Length: " + push.length,
            "Connection: close",
          }) {
        if (!header.startsWith(name + ":")) {
          head.append(header).append("\r\n");
        }
      }
      head.append(c[1]).append("\r\n\r\n");
      // raw() sends the head as ISO-8859-1: é goes out as the single byte 0xE9
      expectRawJsonError(soft, c[0] + " " + c[1], raw(head.toString(), push), 400);
    }
    soft.assertAll();
    assertThat(storedEvents()).as("nothing stored").isEqualTo(before);
  }

  @Test
  void aChunkedBodyOnePastTheLimitGets413AndOneWithinIsAccepted() throws Exception {
    String head =
        "POST /events/webhook/ci HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + TOKEN
            + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            + "Connection: close\r\nX-Event-Id: ";
    String tooLargeId = "chunked-" + UUID.randomUUID();
    String tooLarge = "{\"a\":\"" + "x".repeat(65536 - 7) + "\"}";
    String fitsId = "chunked-" + UUID.randomUUID();
    String fits = "{\"a\":\"" + "x".repeat(65536 - 8) + "\"}";
    SoftAssertions soft = new SoftAssertions();

    expectRawJsonError(
        soft, "65,537 bytes chunked", raw(head + tooLargeId + "\r\n\r\n", chunked(tooLarge)), 413);
    String accepted = raw(head + fitsId + "\r\n\r\n", chunked(fits));

    soft.assertThat(accepted).as("65,536 bytes chunked").startsWith("HTTP/1.1 202");
    soft.assertAll();
    assertThat(store().find(tooLargeId)).isEmpty();
    assertThat(store().find(fitsId).orElseThrow().data()).isEqualTo(fits);
  }

  /** The body in chunks of 1000 bytes, then the last chunk. */
  private static byte[] chunked(String body) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < body.length(); i += 1000) {
      String chunk = body.substring(i, Math.min(body.length(), i + 1000));
      out.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
    }
    return utf8(out.append("0\r\n\r\n").toString());
  }
}
