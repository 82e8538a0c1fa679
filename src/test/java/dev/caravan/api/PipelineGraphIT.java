package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code GET /api/pipelines/{id}} over HTTP: the example pipelines' graphs (compared with
 * src/test/resources/graph/*.json), a route from {@code caravan.routes-dir}, and an unknown id.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:pipeline-graph;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "caravan.pipelines.pr-checks.enabled=true"
    })
class PipelineGraphIT {

  private static final Path ROUTES = createRoutesDirectory();

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @DynamicPropertySource
  static void routesDirectory(DynamicPropertyRegistry registry) {
    registry.add("caravan.routes-dir", ROUTES::toString);
  }

  private static Path createRoutesDirectory() {
    try {
      Path dir = Files.createTempDirectory("pipeline-graph-routes");
      Files.writeString(
          dir.resolve("nightly-report.yaml"),
          """
          - route:
              id: nightly-report
              from:
                uri: event:cron
                parameters:
                  types: "cron:report"
                steps:
                  - to:
                      uri: kjob:report
                      parameters:
                        image: busybox:1.36
                        script: 'echo "report for $CARAVAN_EVENT_TIME"'
                        env.TOKEN: "not-for-the-graph"
          """);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode pipeline(String id) throws Exception {
    HttpResponse<String> response = get("/api/pipelines/" + id);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  private JsonNode expected(String name) throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/graph/" + name + ".json")) {
      return json.readTree(in);
    }
  }

  @Test
  void answersPrChecksWithItsEntryAndItsGraph() throws Exception {
    JsonNode pipeline = pipeline("pr-checks");

    assertThat(pipeline.get("id").asText()).isEqualTo("pr-checks");
    assertThat(pipeline.get("source").asText()).isEqualTo("github");
    assertThat(pipeline.get("active").asBoolean()).isTrue();
    assertThat(pipeline.get("graph").toPrettyString())
        .isEqualTo(expected("pr-checks").toPrettyString());
  }

  @Test
  void answersTheMatrixGraph() throws Exception {
    assertThat(pipeline("matrix").get("graph").toPrettyString())
        .isEqualTo(expected("matrix").toPrettyString());
  }

  @Test
  void answersTheGraphOfARouteFromTheRoutesDirectory() throws Exception {
    JsonNode pipeline = pipeline("nightly-report");

    assertThat(pipeline.get("source").asText()).isEqualTo("cron");
    assertThat(pipeline.get("graph"))
        .isEqualTo(
            json.readTree(
                """
                {"kind": "sequence", "name": "nightly-report", "label": "event:cron?types=cron:report",
                 "children": [{"kind": "step", "name": "report", "label": "report",
                   "image": "busybox:1.36", "script": "echo \\"report for $CARAVAN_EVENT_TIME\\"",
                   "children": []}]}
                """));
    assertThat(pipeline.toString()).doesNotContain("not-for-the-graph");
  }

  @Test
  void answersAnUnknownPipelineWith404() throws Exception {
    HttpResponse<String> response = get("/api/pipelines/no-such-pipeline");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(json.readTree(response.body()))
        .isEqualTo(json.readTree("{\"error\": \"not found\", \"detail\": \"pipeline not found\"}"));
  }
}
