package dev.caravan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The REST API of one Caravan server over {@code java.net.http}: JSON answers, streamed logs, and
 * every non-2xx answer as an {@link ApiError} carrying the API's {@code error} and {@code detail}.
 * The token goes only into the {@code Authorization} header, never into a message.
 */
final class ApiClient {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final URI server;
  private final String token;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  ApiClient(String server, String token) {
    this.server = base(server);
    this.token = token == null || token.isBlank() ? null : token.strip();
    HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
    if ("http".equals(this.server.getScheme())) {
      // never used over plain HTTP, and the default one reads the JDK's whole trust store first
      http.sslContext(withoutTls());
    }
    this.http = http.build();
  }

  /** An SSL context that trusts nobody: for a client that speaks plain HTTP only. */
  private static SSLContext withoutTls() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[0], new TrustManager[0], null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK offers no TLS context", e);
    }
  }

  private static URI base(String server) {
    URI uri;
    try {
      uri = URI.create(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(ExitCodes.USAGE, "the server URL is not a URL: " + e.getMessage());
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null) {
      throw new CliFailure(
          ExitCodes.USAGE,
          "the server URL must be http://host:port or https://host:port (--server or CARAVAN_URL),"
              + " not "
              + server);
    }
    return uri;
  }

  URI server() {
    return server;
  }

  ObjectMapper json() {
    return json;
  }

  JsonNode get(String path, Map<String, String> query) {
    return json(send(request(path, query).GET(), path));
  }

  JsonNode post(String path, Map<String, String> query, String jsonBody) {
    HttpRequest.Builder request = request(path, query);
    if (jsonBody == null) {
      request.POST(HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
    }
    return json(send(request, path));
  }

  /** A 2xx answer as a stream (a log, followed or not); the caller closes it. */
  InputStream stream(String path, Map<String, String> query) {
    return open(request(path, query).header("Accept", "text/plain"), path);
  }

  /**
   * A stream of Server-Sent Events, from after the event with this id when it is not {@code null};
   * the caller closes it.
   */
  InputStream events(String path, Map<String, String> query, String lastEventId) {
    HttpRequest.Builder request = request(path, query).setHeader("Accept", "text/event-stream");
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    return open(request, path);
  }

  private InputStream open(HttpRequest.Builder request, String path) {
    HttpResponse<InputStream> response =
        exchange(request.GET(), HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() / 100 != 2) {
      String body;
      try (InputStream in = response.body()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        body = "";
      }
      throw error(response.statusCode(), body, path);
    }
    return response.body();
  }

  private HttpRequest.Builder request(String path, Map<String, String> query) {
    StringJoiner parameters = new StringJoiner("&", "?", "").setEmptyValue("");
    query.forEach(
        (name, value) -> {
          if (value != null) {
            parameters.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
          }
        });
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(server + path + parameters))
            .header("Accept", "application/json");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return request;
  }

  private String send(HttpRequest.Builder request, String path) {
    HttpResponse<String> response = exchange(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw error(response.statusCode(), response.body(), path);
    }
    return response.body();
  }

  /** Sends the request; a server that cannot be reached, or an interrupt, ends the command. */
  private <T> HttpResponse<T> exchange(
      HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) {
    try {
      return http.send(request.build(), body);
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(ExitCodes.FAILURE, "interrupted");
    }
  }

  private JsonNode json(String body) {
    try {
      return json.readTree(body.isEmpty() ? "null" : body);
    } catch (IOException e) {
      throw new CliFailure(
          ExitCodes.FAILURE, "the server at " + server + " did not answer JSON: " + e.getMessage());
    }
  }

  /** {@code <status> <error>: <detail>} from the API's error shape, or the status alone. */
  private ApiError error(int status, String body, String path) {
    String error = null;
    String detail = null;
    try {
      JsonNode answer = json.readTree(body);
      if (answer != null && answer.isObject()) {
        error = answer.path("error").asText(null);
        detail = answer.path("detail").asText(null);
        if (error == null) {
          error = answer.path("message").asText(null);
        }
      }
    } catch (IOException notJson) {
      // a proxy's HTML page, say: the status tells enough
    }
    StringBuilder message = new StringBuilder().append(status);
    message.append(' ').append(error == null ? "from " + path : error);
    if (detail != null && !detail.isBlank()) {
      message.append(": ").append(detail);
    }
    if (status == 401 && token == null) {
      message.append(" (set --token or CARAVAN_API_TOKEN)");
    }
    return new ApiError(status, message.toString());
  }

  private CliFailure unreachable(IOException e) {
    String why =
        e instanceof ConnectException || e instanceof HttpConnectTimeoutException
            ? "connection refused or timed out"
            : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return new CliFailure(
        ExitCodes.UNREACHABLE,
        "cannot reach the Caravan server at "
            + server
            + " ("
            + why
            + "); start it, or point --server or CARAVAN_URL at it");
  }
}
