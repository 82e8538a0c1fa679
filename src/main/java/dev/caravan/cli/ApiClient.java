package dev.caravan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The REST API of one Caravan server: JSON answers, streamed logs, and every non-2xx answer as an
 * {@link ApiError} carrying the API's {@code error} and {@code detail}. The token goes only into
 * the {@code Authorization} header, never into a message.
 *
 * <p>JSON calls, what most commands make, go over {@code HttpURLConnection}, whose classes the JVM
 * has at hand: {@code java.net.http} costs a short command most of a second to load and start.
 * Streams (logs, the change stream) go over {@link ApiStreams}, whose waits an interrupt ends.
 */
final class ApiClient {

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final URI server;
  private final String token;
  private final ObjectMapper json = new ObjectMapper();
  private ApiStreams streams;

  ApiClient(String server, String token) {
    this.server = base(server);
    this.token = token == null || token.isBlank() ? null : token.strip();
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
    return json(call("GET", path, query, null));
  }

  JsonNode post(String path, Map<String, String> query, String jsonBody) {
    return json(call("POST", path, query, jsonBody));
  }

  /** A 2xx answer as a stream (a log, followed or not); the caller closes it. */
  InputStream stream(String path, Map<String, String> query) {
    return streams().open(uri(path, query), "text/plain", null, path);
  }

  /**
   * A stream of Server-Sent Events, from after the event with this id when it is not {@code null};
   * the caller closes it.
   */
  InputStream events(String path, Map<String, String> query, String lastEventId) {
    return streams().open(uri(path, query), "text/event-stream", lastEventId, path);
  }

  private ApiStreams streams() {
    if (streams == null) {
      streams = new ApiStreams(this, token);
    }
    return streams;
  }

  URI uri(String path, Map<String, String> query) {
    StringJoiner parameters = new StringJoiner("&", "?", "").setEmptyValue("");
    query.forEach(
        (name, value) -> {
          if (value != null) {
            parameters.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
          }
        });
    return URI.create(server + path + parameters);
  }

  /** One JSON call: the 2xx answer's body; a server that cannot be reached ends the command. */
  private String call(String method, String path, Map<String, String> query, String jsonBody) {
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) uri(path, query).toURL().openConnection();
      connection.setRequestMethod(method);
      connection.setInstanceFollowRedirects(false);
      connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
      connection.setRequestProperty("Accept", "application/json");
      if (token != null) {
        connection.setRequestProperty("Authorization", "Bearer " + token);
      }
      if ("POST".equals(method)) {
        byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
        if (jsonBody != null) {
          connection.setRequestProperty("Content-Type", "application/json");
        }
        connection.setDoOutput(true);
        try (OutputStream out = connection.getOutputStream()) {
          out.write(body);
        }
      }
      int status = connection.getResponseCode();
      String body =
          text(status / 100 == 2 ? connection.getInputStream() : connection.getErrorStream());
      if (status / 100 != 2) {
        throw error(status, body, path);
      }
      return body;
    } catch (IOException e) {
      throw unreachable(e);
    } finally {
      if (connection != null) {
        connection.disconnect();
      }
    }
  }

  /** The whole stream as UTF-8 text, closed; empty for none. */
  static String text(InputStream in) throws IOException {
    if (in == null) {
      return "";
    }
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
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
  ApiError error(int status, String body, String path) {
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

  CliFailure unreachable(IOException e) {
    return unreachable(
        e instanceof ConnectException || e instanceof SocketTimeoutException
            ? CONNECT_FAILED
            : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
  }

  static final String CONNECT_FAILED = "connection refused or timed out";

  CliFailure unreachable(String why) {
    return new CliFailure(
        ExitCodes.UNREACHABLE,
        "cannot reach the Caravan server at "
            + server
            + " ("
            + why
            + "); start it, or point --server or CARAVAN_URL at it");
  }
}
