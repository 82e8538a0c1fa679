package dev.caravan.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;

/** Assertions on gateway answers over HTTP. */
final class GatewayResponses {

  private static final ObjectMapper JSON = new ObjectMapper();

  private GatewayResponses() {}

  static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  /**
   * The answer is {@code {"error": error, "detail": ...}} with the status, and holds none of the
   * secrets.
   */
  static void assertJsonError(
      HttpResponse<String> response, int status, String error, String... secrets) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    JsonNode body = json(response.body());
    assertThat(body.path("error").asText()).isEqualTo(error);
    assertThat(body.path("detail").asText()).isNotBlank();
    assertThat(response.body()).doesNotContain(secrets);
  }
}
