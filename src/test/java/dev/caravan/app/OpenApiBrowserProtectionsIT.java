package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.RawHttp;
import dev.caravan.RawHttp.Answer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Without an API token (the embedded default) everything is open to what reaches the port, as
 * before, but a web page elsewhere can neither drive the API through a browser (cross-site unsafe
 * requests) nor read it through DNS rebinding (foreign host names).
 */
@AutoConfigureObservability
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:open-api-browser-protections-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
class OpenApiBrowserProtectionsIT {

  private static final String CANCEL = "/api/runs/no-such-run/cancel";
  private static final String CROSS_SITE =
      "{\"error\":\"forbidden\",\"detail\":\"cross-site request refused\"}";

  @LocalServerPort int port;

  private final ObjectMapper json = new ObjectMapper();

  private Answer send(String method, String target, String... headers) {
    return RawHttp.send(port, method, target, headers);
  }

  @Test
  void crossSiteUnsafeRequestsAreRefused() {
    for (String header :
        List.of(
            "Origin: http://evil.example",
            "Origin: null",
            "Origin: http://localhost:" + (port + 1),
            "Sec-Fetch-Site: cross-site",
            "Sec-Fetch-Site: same-site")) {
      for (String target : List.of(CANCEL, "/api/events/no-such-event/replay")) {
        Answer answer = send("POST", target, header);
        assertThat(answer.status()).as(header + " " + target + ": " + answer).isEqualTo(403);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.body()).isEqualTo(CROSS_SITE);
      }
    }
  }

  @Test
  void unsafeRequestsWithoutBrowserHeadersOrFromTheSameOriginAreServed() {
    assertThat(send("POST", CANCEL).status()).isEqualTo(404);
    assertThat(send("POST", CANCEL, "Origin: http://127.0.0.1:" + port).status()).isEqualTo(404);
    assertThat(
            send("POST", CANCEL, "Sec-Fetch-Site: same-origin", "Origin: http://127.0.0.1:" + port)
                .status())
        .isEqualTo(404);
    assertThat(send("GET", "/api/runs", "Sec-Fetch-Site: cross-site").status()).isEqualTo(200);
  }

  @Test
  void foreignHostNamesAreRefused() throws Exception {
    for (String target : List.of("/api/events", "/actuator/health", "/actuator/health/liveness")) {
      Answer answer = send("GET", target, "Host: evil.example:" + port);
      assertThat(answer.status()).as(target + ": " + answer).isEqualTo(400);
      JsonNode error = json.readTree(answer.body());
      assertThat(error.get("error").asText()).isEqualTo("host not allowed");
      assertThat(error.get("detail").asText()).contains("caravan.security.allowed-hosts");
    }
    for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port)) {
      assertThat(send("GET", "/api/events", "Host: " + host).status()).as(host).isEqualTo(200);
    }
  }

  @Test
  void everythingElseStaysOpenAsBefore() throws Exception {
    assertThat(send("GET", "/api/pipelines").status()).isEqualTo(200);
    assertThat(send("GET", "/actuator/prometheus").status()).isEqualTo(200);
    JsonNode health = json.readTree(send("GET", "/actuator/health").body());
    assertThat(health.path("components").has("extraRoutes"))
        .as("health details, as before: " + health)
        .isTrue();
    assertThat(send("GET", "/no-such-route").status()).isEqualTo(404);
  }

  @Test
  void pathSpellingsTheFirewallRefusesAreBadRequests() throws Exception {
    for (String target : List.of("/api;/events", "/api/./events", "//api/events")) {
      Answer answer = send("GET", target);
      assertThat(answer.status()).as(target + ": " + answer).isEqualTo(400);
      assertThat(json.readTree(answer.body()).get("error").asText()).isEqualTo("bad request");
    }
  }
}
