package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The probes tell the truth about the store: the app's H2 database is shut down under it (through a
 * JDBC connection of its own; the in-memory database that the pool then reconnects to has no
 * tables, so every write fails, as with a database that closed after an error). Readiness goes DOWN
 * at the next write (the heartbeat, every 200 ms here), liveness once the grace period (5 s here)
 * has passed.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=" + StoreHealthIT.DATABASE,
      "camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
          + "classpath:routes/gateways/*.yaml",
      "camel.component.kjob.executor=local",
      // heartbeat (a store write) every 200 ms
      "caravan.runs.lease-timeout=600ms",
      "caravan.health.store-grace=5s"
    })
@DirtiesContext
class StoreHealthIT {

  static final String DATABASE = "jdbc:h2:mem:store-health;DB_CLOSE_DELAY=-1";

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private record Probe(int status, JsonNode body) {
    String state() {
      return body.path("status").asText();
    }
  }

  private Probe probe(String path) throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    return new Probe(response.statusCode(), json.readTree(response.body()));
  }

  @Test
  void aStoreThatCannotBeWrittenTakesReadinessDownAtOnceAndLivenessAfterTheGrace()
      throws Exception {
    assertThat(probe("/actuator/health/readiness").status()).isEqualTo(200);
    assertThat(probe("/actuator/health/liveness").status()).isEqualTo(200);

    try (Connection own = DriverManager.getConnection(DATABASE, "sa", "");
        Statement statement = own.createStatement()) {
      statement.execute("SHUTDOWN");
    }

    Probe readiness =
        await()
            .atMost(Duration.ofSeconds(3))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> probe("/actuator/health/readiness"), probe -> probe.status() == 503);
    Probe liveness = probe("/actuator/health/liveness");
    assertThat(readiness.state()).isEqualTo("DOWN");
    assertThat(readiness.body().path("components").path("store").path("status").asText())
        .isEqualTo("DOWN");
    assertThat(liveness.status()).as("liveness within the grace period").isEqualTo(200);
    assertThat(liveness.body().path("components").path("storeLiveness").path("status").asText())
        .isEqualTo("UP");

    Probe down =
        await()
            .atMost(Duration.ofSeconds(15))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> probe("/actuator/health/liveness"), probe -> probe.status() == 503);
    assertThat(down.body().path("components").path("storeLiveness").path("status").asText())
        .isEqualTo("DOWN");
    assertThat(
            down.body()
                .path("components")
                .path("storeLiveness")
                .path("details")
                .path("failingForSeconds")
                .asLong())
        .isGreaterThanOrEqualTo(5);
  }
}
