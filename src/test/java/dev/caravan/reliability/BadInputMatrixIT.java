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
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Bad input to the generic webhook gateway and the REST API: every case gets its documented status
 * (a JSON error where Caravan answers), nothing is stored, no run starts, and good requests still
 * work afterwards. GitHub's own matrix is in GitHubGatewayIT.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.webhook.tokens.ci=" + BadInputMatrixIT.TOKEN,
      "caravan.gateways.max-body-bytes=65536",
      "spring.datasource.url=jdbc:h2:mem:bad-input-matrix-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
class BadInputMatrixIT {

  static final String TOKEN = "bad-input-token-91ab";

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
      } catch (SocketTimeoutException | java.net.SocketException e) {
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
    // refuses these itself with 400 before Caravan sees the request (its own answer, not JSON).
    String injectedId = "bad-" + UUID.randomUUID();
    ids.add(injectedId);
    String request =
        "POST /events/webhook/ci HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + TOKEN
            + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n";
    String bareCr =
        raw(request + "X-Event-Id: " + injectedId + "\rX-Event-Type: forged\r\n\r\n", utf8("{}"));
    soft.assertThat(bareCr).as("bare CR in a header value").startsWith("HTTP/1.1 400");
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
    soft.assertThat(nul).as("NUL in a header value").startsWith("HTTP/1.1 400");

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
}
