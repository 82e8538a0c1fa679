package dev.caravan.github;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A local stand-in for GitHub's REST API (v3, as GitHub Enterprise serves it under {@code
 * /api/v3}): answers GET requests for the paths it was given with JSON shaped like GitHub's
 * documented responses, 404 otherwise; answers every POST (such as a commit status) with 201 and
 * the posted JSON; and records what it was asked.
 *
 * <p>After {@link #app}, it is also a GitHub App's side of GitHub ({@link GitHubAppStub}): it
 * issues installation tokens for JWTs it verifies with the app's public key, and creates and
 * updates check runs for those tokens, checking every such request against GitHub's REST docs.
 */
public final class GitHubStub implements AutoCloseable {

  /** One POST: its path (without query), JSON body and Authorization header. */
  public record Post(String path, String body, String authorization) {}

  private final HttpServer server;
  private final Map<String, String> responses = new ConcurrentHashMap<>();
  private volatile int postStatus = 201;
  private volatile String postAnswer;
  public final List<String> requests = new CopyOnWriteArrayList<>();
  public final List<String> authorizations = new CopyOnWriteArrayList<>();
  public final List<Post> posts = new CopyOnWriteArrayList<>();
  private volatile GitHubAppStub app;

  public GitHubStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Serves {@code json} at {@code path} (query ignored), replacing what was there. */
  public GitHubStub serve(String path, String json) {
    responses.put(path, json);
    return this;
  }

  /** Answers POSTs with this status and JSON instead (null: the posted JSON). */
  public GitHubStub answerPosts(int status, String json) {
    postStatus = status;
    postAnswer = json;
    return this;
  }

  /** Serves the app endpoints (installation tokens, check runs) for this app from now on. */
  public GitHubAppStub app(String appId, RSAPublicKey publicKey, Supplier<Instant> clock) {
    app = new GitHubAppStub(appId, publicKey, clock);
    return app;
  }

  private void answer(HttpExchange exchange) throws IOException {
    GitHubAppStub appStub = app;
    if (appStub != null && appStub.handles(exchange.getRequestURI().getPath())) {
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
      appStub.answer(exchange);
      return;
    }
    String path = exchange.getRequestURI().getPath();
    requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      authorizations.add(authorization);
    }
    String json;
    int status;
    if ("POST".equals(exchange.getRequestMethod())) {
      json = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      posts.add(new Post(path, json, authorization));
      status = postStatus;
      if (postAnswer != null) {
        json = postAnswer;
      }
    } else {
      json = "GET".equals(exchange.getRequestMethod()) ? responses.get(path) : null;
      status = json != null ? 200 : 404;
    }
    byte[] body =
        (json != null ? json : "{\"message\":\"Not Found\"}").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
