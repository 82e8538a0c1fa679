package dev.caravan.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * JSON requests to GitHub's REST API ({@link GitHubApi#restUrl}) with the headers GitHub's REST
 * documentation asks for, each bounded by a timeout to connect and one to wait for the answer. A
 * refused request becomes an {@link IllegalStateException} naming GitHub's status and message and
 * what was asked, never the credentials sent.
 */
final class GitHubRest {

  static final String API_VERSION = "2022-11-28";
  private static final int MAX_MESSAGE = 300;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String root;
  private final Duration timeout;
  private final HttpClient http;

  GitHubRest(String apiUrl, Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the GitHub timeout must be positive, not " + timeout);
    }
    this.root = GitHubApi.restUrl(apiUrl);
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * Sends {@code body} (null: none) as JSON to {@code path} and answers GitHub's JSON; {@code what}
   * names the request in errors.
   */
  JsonNode send(String method, String path, String authorization, Object body, String what)
      throws IOException {
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(root + path))
            .timeout(timeout)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .header("Authorization", authorization)
            .method(method, publisher);
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while GitHub answered " + what, e);
    }
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      throw new IllegalStateException(
          "GitHub answered " + status + " to " + what + ": " + message(response.body()));
    }
    try {
      return response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw new IOException("GitHub's answer to " + what + " is not JSON", e);
    }
  }

  private static String message(String body) {
    String message;
    try {
      JsonNode answer = JSON.readTree(body);
      message =
          answer != null && answer.hasNonNull("message") ? answer.get("message").asText() : "";
    } catch (JsonProcessingException e) {
      message = "";
    }
    if (message.isBlank()) {
      return "(no message)";
    }
    return message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message;
  }
}
