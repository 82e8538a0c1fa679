package dev.caravan.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GitHub's side of a GitHub App, inside {@link GitHubStub}: {@code POST
 * /app/installations/{id}/access_tokens} answers a token only for a JWT whose RS256 signature the
 * app's public key verifies and whose {@code iss}, {@code iat} and {@code exp} GitHub would take;
 * {@code POST /repos/{owner}/{repo}/check-runs} and {@code PATCH .../check-runs/{id}} only for a
 * token it issued. Every request is checked against GitHub's REST documentation (method, headers,
 * JSON fields and their values); what does not match is recorded in {@link #violations} and
 * answered {@code 422} (a bad JWT or token: {@code 401}), as GitHub would.
 */
public final class GitHubAppStub {

  /** One request to the app endpoints. */
  public record Request(String method, String path, Map<String, String> headers, JsonNode body) {}

  private static final Pattern TOKENS =
      Pattern.compile("/api/v3/app/installations/([0-9]+)/access_tokens");
  private static final Pattern CHECK_RUNS =
      Pattern.compile("/api/v3/repos/([^/]+)/([^/]+)/check-runs(?:/([0-9]+))?");
  private static final Pattern COMMIT_CHECK_RUNS =
      Pattern.compile("/api/v3/repos/([^/]+)/([^/]+)/commits/([0-9a-f]{40})/check-runs");
  private static final Pattern TIMESTAMP =
      Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z");
  private static final Set<String> CREATE_FIELDS =
      Set.of(
          "name",
          "head_sha",
          "details_url",
          "external_id",
          "status",
          "started_at",
          "conclusion",
          "completed_at",
          "output",
          "actions");
  private static final Set<String> OUTPUT_FIELDS =
      Set.of("title", "summary", "text", "annotations", "images");
  private static final Set<String> STATUSES = Set.of("queued", "in_progress", "completed");
  private static final Set<String> CONCLUSIONS =
      Set.of(
          "action_required",
          "cancelled",
          "failure",
          "neutral",
          "success",
          "skipped",
          "stale",
          "timed_out");
  private static final int MAX_OUTPUT = 65_535;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String appId;
  private final RSASSAVerifier verifier;
  private final Supplier<Instant> clock;
  private final Map<String, Long> issued = new ConcurrentHashMap<>();
  private final Map<Long, ObjectNode> checkRuns = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong(4000);
  private volatile Duration tokenLifetime = Duration.ofHours(1);
  private volatile CountDownLatch tokenGate = new CountDownLatch(0);
  private volatile int refusalStatus;
  private volatile String refusalMessage;

  public final List<Request> tokenRequests = new CopyOnWriteArrayList<>();
  public final List<JWTClaimsSet> verifiedJwts = new CopyOnWriteArrayList<>();
  public final List<Request> checkRunRequests = new CopyOnWriteArrayList<>();
  public final List<Request> listRequests = new CopyOnWriteArrayList<>();
  public final List<String> violations = new CopyOnWriteArrayList<>();

  GitHubAppStub(String appId, RSAPublicKey publicKey, Supplier<Instant> clock) {
    this.appId = appId;
    this.verifier = new RSASSAVerifier(publicKey);
    this.clock = clock;
  }

  /** Tokens it issues expire this long after the stub's clock's now (GitHub: one hour). */
  public GitHubAppStub tokenLifetime(Duration lifetime) {
    tokenLifetime = lifetime;
    return this;
  }

  /** Token requests wait for this latch before they are answered. */
  public GitHubAppStub holdTokens(CountDownLatch gate) {
    tokenGate = gate;
    return this;
  }

  /** Answers token requests with this status and message, as GitHub does for a wrong app. */
  public GitHubAppStub refuseTokens(int status, String message) {
    refusalMessage = message;
    refusalStatus = status;
    return this;
  }

  /** The check run as the stub holds it after every create and update so far. */
  public JsonNode checkRun(long id) {
    return checkRuns.get(id);
  }

  /** Every check run the stub holds, as after every create and update so far. */
  public List<JsonNode> checkRuns() {
    return List.copyOf(checkRuns.values());
  }

  boolean handles(String path) {
    return TOKENS.matcher(path).matches()
        || CHECK_RUNS.matcher(path).matches()
        || COMMIT_CHECK_RUNS.matcher(path).matches();
  }

  void answer(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    Map<String, String> headers = new ConcurrentHashMap<>();
    exchange
        .getRequestHeaders()
        .forEach((name, values) -> headers.put(name.toLowerCase(), values.get(0)));
    byte[] raw = exchange.getRequestBody().readAllBytes();
    JsonNode body;
    try {
      body = raw.length == 0 ? null : JSON.readTree(new String(raw, StandardCharsets.UTF_8));
    } catch (IOException e) {
      send(exchange, 400, message("Problems parsing JSON"));
      violations.add(path + ": body is not JSON");
      return;
    }
    Request request = new Request(exchange.getRequestMethod(), path, headers, body);
    Matcher tokens = TOKENS.matcher(path);
    try {
      Matcher list = COMMIT_CHECK_RUNS.matcher(path);
      if (tokens.matches()) {
        tokenRequests.add(request);
        answerToken(exchange, request, Long.parseLong(tokens.group(1)));
      } else if (list.matches()) {
        listRequests.add(request);
        answerList(exchange, request, list.group(3), exchange.getRequestURI().getRawQuery());
      } else {
        checkRunRequests.add(request);
        Matcher runs = CHECK_RUNS.matcher(path);
        runs.matches();
        answerCheckRun(exchange, request, runs.group(3));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      send(exchange, 503, message("interrupted"));
    }
  }

  private void answerToken(HttpExchange exchange, Request request, long installation)
      throws IOException, InterruptedException {
    if (!tokenGate.await(30, TimeUnit.SECONDS)) {
      violations.add("the test never released the token requests");
    }
    if (!"POST".equals(request.method())) {
      violate(exchange, 404, "access_tokens is POST, not " + request.method());
      return;
    }
    if (!commonHeaders(exchange, request)) {
      return;
    }
    if (request.body() != null && !request.body().isObject()) {
      violate(exchange, 422, "access_tokens takes a JSON object or no body");
      return;
    }
    String authorization = request.headers().getOrDefault("authorization", "");
    if (!authorization.startsWith("Bearer ")) {
      violate(exchange, 401, "access_tokens needs Authorization: Bearer <JWT>");
      return;
    }
    String problem = jwtProblem(authorization.substring("Bearer ".length()));
    if (problem != null) {
      violate(exchange, 401, problem);
      return;
    }
    if (refusalMessage != null) {
      send(exchange, refusalStatus, message(refusalMessage));
      return;
    }
    String token = "ghs_stub" + ids.incrementAndGet() + "x".repeat(28);
    issued.put(token, installation);
    ObjectNode answer = JSON.createObjectNode();
    answer.put("token", token);
    answer.put("expires_at", clock.get().plus(tokenLifetime).toString());
    answer.putObject("permissions").put("checks", "write").put("metadata", "read");
    answer.put("repository_selection", "all");
    send(exchange, 201, answer);
  }

  /** Null when GitHub would take the JWT, else why not. */
  private String jwtProblem(String serialized) {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(serialized);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return "A JSON web token could not be decoded";
    }
    if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
      return "the JWT is not RS256 but " + jwt.getHeader().getAlgorithm();
    }
    try {
      if (!jwt.verify(verifier)) {
        return "the JWT's signature does not verify with the app's public key";
      }
    } catch (JOSEException e) {
      return "the JWT's signature cannot be verified: " + e.getMessage();
    }
    Instant now = clock.get();
    if (!appId.equals(claims.getIssuer())) {
      return "the JWT's iss is " + claims.getIssuer() + ", not the app id " + appId;
    }
    if (claims.getIssueTime() == null || claims.getIssueTime().toInstant().isAfter(now)) {
      return "the JWT's iat is missing or in the future";
    }
    if (claims.getExpirationTime() == null
        || !claims.getExpirationTime().toInstant().isAfter(now)
        || claims.getExpirationTime().toInstant().isAfter(now.plus(Duration.ofMinutes(10)))) {
      return "the JWT's exp must be in the future and at most 10 minutes ahead";
    }
    verifiedJwts.add(claims);
    return null;
  }

  private void answerCheckRun(HttpExchange exchange, Request request, String id)
      throws IOException {
    if (!commonHeaders(exchange, request)) {
      return;
    }
    String authorization = request.headers().getOrDefault("authorization", "");
    String token = authorization.replaceFirst("^(Bearer|token) ", "");
    if (token.equals(authorization) || !issued.containsKey(token)) {
      violate(exchange, 401, "check runs need an installation token the stub issued");
      return;
    }
    boolean create = id == null;
    if (!(create ? "POST" : "PATCH").equals(request.method())) {
      violate(exchange, 404, (create ? "creating" : "updating") + " is not " + request.method());
      return;
    }
    if (!"application/json".equals(request.headers().get("content-type"))) {
      violate(exchange, 422, "a check run body is sent as application/json");
      return;
    }
    String problem = bodyProblem(request.body(), create);
    if (problem != null) {
      violate(exchange, 422, problem);
      return;
    }
    ObjectNode run;
    if (create) {
      run = JSON.createObjectNode();
      run.put("id", ids.incrementAndGet());
      run.put("status", "queued");
      run.setAll((ObjectNode) request.body());
      checkRuns.put(run.get("id").asLong(), run);
    } else {
      run = checkRuns.get(Long.parseLong(id));
      if (run == null) {
        send(exchange, 404, message("Not Found"));
        return;
      }
      run.setAll((ObjectNode) request.body());
    }
    if (run.has("conclusion")) {
      run.put("status", "completed");
    }
    send(exchange, create ? 201 : 200, run);
  }

  /**
   * {@code GET /repos/{owner}/{repo}/commits/{ref}/check-runs}: the check runs of the commit,
   * newest first, paged by {@code per_page} (at most 100) and {@code page}.
   */
  private void answerList(HttpExchange exchange, Request request, String sha, String query)
      throws IOException {
    if (!"GET".equals(request.method())) {
      violate(exchange, 404, "listing check runs is GET, not " + request.method());
      return;
    }
    if (!commonHeaders(exchange, request) || !issuedToken(exchange, request)) {
      return;
    }
    if (request.body() != null) {
      violate(exchange, 422, "listing check runs takes no body");
      return;
    }
    int perPage = 30;
    int page = 1;
    for (String pair : query == null ? new String[0] : query.split("&")) {
      String[] nameAndValue = pair.split("=", 2);
      String value = nameAndValue.length == 2 ? nameAndValue[1] : "";
      switch (nameAndValue[0]) {
        case "per_page" -> perPage = Integer.parseInt(value);
        case "page" -> page = Integer.parseInt(value);
        case "filter" -> {
          if (!Set.of("latest", "all").contains(value)) {
            violate(exchange, 422, "filter is latest or all, not " + value);
            return;
          }
        }
        case "check_name", "status", "app_id" -> {}
        default -> {
          violate(exchange, 422, "unknown query parameter " + nameAndValue[0]);
          return;
        }
      }
    }
    if (perPage < 1 || perPage > 100 || page < 1) {
      violate(exchange, 422, "per_page is 1 to 100, page 1 or more");
      return;
    }
    List<ObjectNode> ofCommit =
        checkRuns.values().stream()
            .filter(run -> sha.equals(run.path("head_sha").asText()))
            .sorted((one, other) -> Long.compare(other.get("id").asLong(), one.get("id").asLong()))
            .toList();
    ObjectNode answer = JSON.createObjectNode();
    answer.put("total_count", ofCommit.size());
    ofCommit.stream()
        .skip((long) (page - 1) * perPage)
        .limit(perPage)
        .forEach(answer.putArray("check_runs")::add);
    send(exchange, 200, answer);
  }

  private boolean issuedToken(HttpExchange exchange, Request request) throws IOException {
    String authorization = request.headers().getOrDefault("authorization", "");
    String token = authorization.replaceFirst("^(Bearer|token) ", "");
    if (token.equals(authorization) || !issued.containsKey(token)) {
      violate(exchange, 401, "check runs need an installation token the stub issued");
      return false;
    }
    return true;
  }

  private String bodyProblem(JsonNode body, boolean create) {
    if (body == null || !body.isObject()) {
      return "the body must be a JSON object";
    }
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!CREATE_FIELDS.contains(name) || !create && name.equals("head_sha")) {
        return "unknown field " + name;
      }
    }
    if (create && (!isText(body, "name") || !isText(body, "head_sha"))) {
      return "name and head_sha are required strings";
    }
    if (body.has("status") && !STATUSES.contains(body.path("status").asText())) {
      return "status " + body.get("status") + " is not queued, in_progress or completed";
    }
    if (body.has("conclusion") && !CONCLUSIONS.contains(body.path("conclusion").asText())) {
      return "conclusion " + body.get("conclusion") + " is not one of GitHub's";
    }
    boolean completed =
        "completed".equals(body.path("status").asText()) || body.has("completed_at");
    if (completed && !body.has("conclusion")) {
      return "conclusion is required with completed_at or status completed";
    }
    for (String time : List.of("started_at", "completed_at")) {
      if (body.has(time) && !TIMESTAMP.matcher(body.get(time).asText()).matches()) {
        return time + " is not YYYY-MM-DDTHH:MM:SSZ: " + body.get(time);
      }
    }
    if (body.has("details_url") && !body.get("details_url").isTextual()) {
      return "details_url is a string";
    }
    if (body.has("output")) {
      JsonNode output = body.get("output");
      if (!output.isObject() || !isText(output, "title") || !isText(output, "summary")) {
        return "output needs title and summary strings";
      }
      for (Iterator<String> names = output.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!OUTPUT_FIELDS.contains(name)) {
          return "unknown output field " + name;
        }
      }
      for (String text : List.of("summary", "text")) {
        if (output.has(text) && output.get(text).asText().length() > MAX_OUTPUT) {
          return "output." + text + " is longer than 65535 characters";
        }
      }
    }
    return null;
  }

  private boolean commonHeaders(HttpExchange exchange, Request request) throws IOException {
    if (!"application/vnd.github+json".equals(request.headers().get("accept"))) {
      violate(exchange, 415, "Accept must be application/vnd.github+json");
      return false;
    }
    if (!"2022-11-28".equals(request.headers().get("x-github-api-version"))) {
      violate(exchange, 400, "X-GitHub-Api-Version must be 2022-11-28");
      return false;
    }
    return true;
  }

  private static boolean isText(JsonNode node, String field) {
    return node.hasNonNull(field)
        && node.get(field).isTextual()
        && !node.get(field).asText().isEmpty();
  }

  private void violate(HttpExchange exchange, int status, String problem) throws IOException {
    violations.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + ": " + problem);
    send(exchange, status, message(problem));
  }

  private static ObjectNode message(String message) {
    ObjectNode answer = JSON.createObjectNode();
    answer.put("message", message);
    answer.put("documentation_url", "https://docs.github.com/rest");
    return answer;
  }

  private static void send(HttpExchange exchange, int status, JsonNode json) throws IOException {
    byte[] body = JSON.writeValueAsBytes(json);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }
}
