package dev.caravan.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for GitHub's REST API (v3, as GitHub Enterprise serves it under {@code
 * /api/v3}): answers GET requests for the paths it was given with JSON shaped like GitHub's
 * documented responses, 404 otherwise, and records what it was asked.
 */
final class GitHubStub implements AutoCloseable {

  private final HttpServer server;
  private final Map<String, String> responses = new ConcurrentHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  final List<String> authorizations = new CopyOnWriteArrayList<>();

  GitHubStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Serves {@code json} at {@code path} (query ignored), replacing what was there. */
  GitHubStub serve(String path, String json) {
    responses.put(path, json);
    return this;
  }

  private void answer(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      authorizations.add(authorization);
    }
    String json = "GET".equals(exchange.getRequestMethod()) ? responses.get(path) : null;
    byte[] body =
        (json != null ? json : "{\"message\":\"Not Found\"}").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(json != null ? 200 : 404, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
