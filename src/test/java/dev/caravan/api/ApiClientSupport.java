package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The REST API of the Caravan a Spring Boot test started on a random port, called with the API
 * token the test configured: what the API tests share.
 */
abstract class ApiClientSupport {

  @LocalServerPort protected int port;

  protected final HttpClient http = HttpClient.newHttpClient();
  protected final ObjectMapper json = new ObjectMapper();

  private final String token;

  protected ApiClientSupport(String token) {
    this.token = token;
  }

  protected HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + token);
  }

  protected HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  protected HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET());
  }

  protected HttpResponse<String> post(String path) throws Exception {
    return send(request(path).POST(HttpRequest.BodyPublishers.noBody()));
  }

  protected HttpResponse<String> post(String path, String body) throws Exception {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** A 200 answer's JSON. */
  protected JsonNode getJson(String path) throws Exception {
    HttpResponse<String> response = get(path);
    assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(200);
    return json.readTree(response.body());
  }

  /** The run, once it has this status. */
  protected JsonNode awaitRun(String runId, String status) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> getJson("/api/runs/" + runId), run -> status.equals(run.get("status").asText()));
  }

  /** The answer has this status and the JSON error shape. */
  protected void assertJsonError(HttpResponse<String> response, int status) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    JsonNode error = json.readTree(response.body());
    assertThat(error.get("error").asText()).isNotBlank();
    assertThat(error.get("detail").asText()).isNotBlank();
  }
}
