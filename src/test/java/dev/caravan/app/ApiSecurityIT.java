package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.RawHttp;
import dev.caravan.RawHttp.Answer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiFunction;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * With an API token: every spelling of a protected path that Spring would route needs the token
 * (sent as exact request bytes), actuator details and metrics need it while the probes stay open,
 * only allowed hosts are served, and cross-site unsafe requests are refused.
 */
// Spring Boot tests switch metrics export off unless asked
@AutoConfigureObservability
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.api.token=" + ApiSecurityIT.TOKEN,
      "caravan.api.public-url=https://caravan.example.com",
      "caravan.security.allowed-hosts=caravan.test, ci.internal",
      "caravan.webhook.tokens.ci=" + ApiSecurityIT.WEBHOOK_TOKEN,
      "spring.datasource.url=jdbc:h2:mem:api-security-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
class ApiSecurityIT {

  static final String TOKEN = "api-security-t0ken";
  static final String WEBHOOK_TOKEN = "webhook-ci-t0ken";
  private static final String AUTHORIZED = "Authorization: Bearer " + TOKEN;

  /** A protected request in its canonical spelling. */
  private record Route(String method, String path) {}

  /** Another way to write a path that Spring routes (or Tomcat maps) to the same place. */
  private record Spelling(String name, BiFunction<String, Integer, String> spell) {}

  /** The actuator paths that need the token (every API route is added from Spring's mappings). */
  private static final List<Route> ACTUATOR =
      List.of(
          new Route("GET", "/actuator/prometheus"),
          new Route("GET", "/actuator/health/db"),
          new Route("GET", "/actuator/info"),
          new Route("GET", "/actuator"));

  /** Spellings that reach Spring: each must get the 401 of a request without the token. */
  private static final List<Spelling> SPELLINGS =
      List.of(
          new Spelling("empty ; parameter", (p, port) -> first(p) + ";" + rest(p)),
          new Spelling("jsessionid parameter", (p, port) -> first(p) + ";jsessionid=1" + rest(p)),
          new Spelling("; parameter on the last segment", (p, port) -> p + ";x=1"),
          new Spelling("encoded ; (upper case)", (p, port) -> first(p) + "%3B" + rest(p)),
          new Spelling("encoded ; (lower case)", (p, port) -> first(p) + "%3b" + rest(p)),
          new Spelling(
              "first letter encoded", (p, port) -> "/" + escape(p.charAt(1)) + p.substring(2)),
          new Spelling("first segment encoded", (p, port) -> escapeAll(first(p)) + rest(p)),
          new Spelling(
              "second segment's first letter encoded",
              (p, port) ->
                  rest(p).isEmpty()
                      ? null
                      : first(p) + "/" + escape(rest(p).charAt(1)) + rest(p).substring(2)),
          new Spelling("hex letters in lower case", (p, port) -> escapeHexLetters(p, false)),
          new Spelling("hex letters in upper case", (p, port) -> escapeHexLetters(p, true)),
          new Spelling("encoded percent", (p, port) -> "/%25" + hex(p.charAt(1)) + p.substring(2)),
          new Spelling("leading //", (p, port) -> "/" + p),
          new Spelling(
              "// inside", (p, port) -> rest(p).isEmpty() ? null : first(p) + "/" + rest(p)),
          new Spelling("trailing /", (p, port) -> p + "/"),
          new Spelling(
              "upper-case first segment", (p, port) -> first(p).toUpperCase(Locale.ROOT) + rest(p)),
          new Spelling("leading /./", (p, port) -> "/." + p),
          new Spelling("/./ inside", (p, port) -> first(p) + "/." + rest(p)),
          new Spelling("leading /foo/../", (p, port) -> "/foo/.." + p),
          new Spelling("/x/../ inside", (p, port) -> first(p) + "/x/.." + rest(p)),
          new Spelling("through a gateway path /events/../", (p, port) -> "/events/.." + p),
          new Spelling("through a gateway path /hello/../", (p, port) -> "/hello/.." + p),
          new Spelling("through a gateway path with ;", (p, port) -> "/events;/.." + p),
          new Spelling("encoded dot segment (lower case)", (p, port) -> "/%2e" + p),
          new Spelling("encoded dot segment (upper case)", (p, port) -> "/%2E" + p),
          new Spelling("encoded dot-dot inside", (p, port) -> first(p) + "/x/%2e%2e" + rest(p)),
          new Spelling(
              "encoded dot-dot through a gateway path", (p, port) -> "/events/x/%2E%2E/.." + p),
          new Spelling("absolute-form request target", (p, port) -> "http://127.0.0.1:" + port + p),
          new Spelling("query string", (p, port) -> p + "?limit=1"));

  /**
   * Spellings Tomcat refuses before Spring sees them (it has no 401 to give): they must never be
   * served.
   */
  private static final List<Spelling> REFUSED_BY_TOMCAT =
      List.of(
          new Spelling(
              "encoded slash (upper case)",
              (p, port) -> rest(p).isEmpty() ? null : first(p) + "%2F" + rest(p).substring(1)),
          new Spelling(
              "encoded slash (lower case)",
              (p, port) -> rest(p).isEmpty() ? null : first(p) + "%2f" + rest(p).substring(1)),
          new Spelling("leading /../", (p, port) -> "/.." + p),
          new Spelling("encoded leading /../", (p, port) -> "/%2e%2e" + p),
          new Spelling(
              "backslash",
              (p, port) -> rest(p).isEmpty() ? null : first(p) + "\\" + rest(p).substring(1)),
          new Spelling("encoded NUL", (p, port) -> first(p) + "%00" + rest(p)),
          new Spelling("overlong UTF-8", (p, port) -> "/%c1%a1" + p.substring(2)));

  @LocalServerPort int port;

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  private final ObjectMapper json = new ObjectMapper();

  private static String first(String path) {
    int slash = path.indexOf('/', 1);
    return slash < 0 ? path : path.substring(0, slash);
  }

  private static String rest(String path) {
    int slash = path.indexOf('/', 1);
    return slash < 0 ? "" : path.substring(slash);
  }

  private static String hex(char c) {
    return Integer.toHexString(c);
  }

  private static String escape(char c) {
    return "%" + hex(c);
  }

  private static String escapeAll(String segment) {
    StringBuilder escaped = new StringBuilder("/");
    segment.substring(1).chars().forEach(c -> escaped.append(escape((char) c)));
    return escaped.toString();
  }

  /** Escapes every letter whose escape has a hex letter ({@code n} = {@code %6e}), if any. */
  private static String escapeHexLetters(String path, boolean upperCase) {
    StringBuilder escaped = new StringBuilder();
    for (char c : path.toCharArray()) {
      String hex = hex(c);
      boolean hexLetter = Character.isLetter(c) && hex.matches(".*[a-f].*");
      escaped.append(
          hexLetter ? "%" + (upperCase ? hex.toUpperCase(Locale.ROOT) : hex) : String.valueOf(c));
    }
    return escaped.toString().equals(path) ? null : escaped.toString();
  }

  /**
   * Every route Spring MVC maps under the given path prefix, in its canonical spelling, each method
   * once, with its path variables filled in ({@code {id}} becomes {@code no-such-id}).
   */
  private List<Route> mapped(String prefix) {
    List<Route> routes = new ArrayList<>();
    mappings
        .getHandlerMethods()
        .keySet()
        .forEach(
            mapping -> {
              Set<RequestMethod> methods = mapping.getMethodsCondition().getMethods();
              for (String pattern : mapping.getPatternValues()) {
                if (!pattern.equals(prefix) && !pattern.startsWith(prefix + "/")) {
                  continue;
                }
                String path = pattern.replaceAll("\\{(\\w+)}", "no-such-$1");
                if (methods.isEmpty()) {
                  routes.add(new Route("GET", path));
                }
                methods.forEach(method -> routes.add(new Route(method.name(), path)));
              }
            });
    return routes.stream().distinct().sorted(Comparator.comparing(Route::toString)).toList();
  }

  /** Every API route, and the actuator paths that need the token. */
  private List<Route> protectedRoutes() {
    List<Route> routes = new ArrayList<>(mapped("/api"));
    routes.addAll(ACTUATOR);
    return routes;
  }

  /** Whether the route answers with a stream that stays open (it cannot be read to its end). */
  private static boolean streams(Route route) {
    return route.path().equals("/api/stream");
  }

  private Answer send(String method, String target, String... headers) {
    return RawHttp.send(port, method, target, headers);
  }

  private void expectUnauthorized(SoftAssertions soft, String what, Answer answer) {
    soft.assertThat(answer.status()).as(what + ": " + answer).isEqualTo(401);
    if (answer.status() == 401) {
      soft.assertThat(answer.header("WWW-Authenticate")).as(what).isEqualTo("Bearer");
      soft.assertThat(answer.header("Content-Type")).as(what).startsWith("application/json");
      soft.assertThat(answer.body())
          .as(what)
          .isEqualTo(
              "{\"error\":\"unauthorized\",\"detail\":\"send Authorization: Bearer <API token>\"}");
    }
  }

  private JsonNode error(Answer answer) throws Exception {
    assertThat(answer.header("Content-Type")).as(answer.toString()).startsWith("application/json");
    return json.readTree(answer.body());
  }

  @Test
  void everySpellingOfEveryProtectedPathNeedsTheToken() {
    SoftAssertions soft = new SoftAssertions();
    int checked = 0;
    List<Route> routes = protectedRoutes();
    assertThat(routes)
        .as("the API's routes, as Spring maps them")
        .contains(
            new Route("GET", "/api/runs"),
            new Route("POST", "/api/runs/no-such-id/retry"),
            new Route("POST", "/api/pipelines/no-such-id/runs"),
            new Route("GET", "/api/stream"),
            new Route("GET", "/api/openapi.json"))
        .hasSizeGreaterThanOrEqualTo(16 + ACTUATOR.size());
    for (Route route : routes) {
      expectUnauthorized(
          soft, route.method() + " " + route.path(), send(route.method(), route.path()));
      for (Spelling spelling : SPELLINGS) {
        String target = spelling.spell().apply(route.path(), port);
        if (target == null) {
          continue;
        }
        String what = route.method() + " " + target + " (" + spelling.name() + ")";
        expectUnauthorized(soft, what, send(route.method(), target));
        checked++;
      }
    }
    soft.assertThat(checked).as("spellings checked").isGreaterThan(routes.size() * 20);
    soft.assertAll();
  }

  @Test
  void spellingsThatTomcatRefusesAreNeverServed() {
    SoftAssertions soft = new SoftAssertions();
    for (Route route : protectedRoutes()) {
      for (Spelling spelling : REFUSED_BY_TOMCAT) {
        String target = spelling.spell().apply(route.path(), port);
        if (target == null) {
          continue;
        }
        Answer answer = send(route.method(), target);
        soft.assertThat(answer.status())
            .as(route.method() + " " + target + " (" + spelling.name() + "): " + answer)
            .isIn(400, 401);
      }
    }
    soft.assertAll();
  }

  @Test
  void theCanonicalSpellingWithTheTokenIsServed() {
    SoftAssertions soft = new SoftAssertions();
    for (Route route : protectedRoutes()) {
      if (streams(route)) {
        continue; // served as a stream that stays open: the stream's own tests read it
      }
      Answer answer = send(route.method(), route.path(), AUTHORIZED);
      soft.assertThat(answer.status())
          .as(route.method() + " " + route.path() + ": " + answer)
          .isIn(200, 202, 404);
      soft.assertThat(answer.header("Set-Cookie")).as("no session").isNull();
    }
    soft.assertAll();
  }

  @Test
  void aWrongOrMissingTokenIsRefused() {
    SoftAssertions soft = new SoftAssertions();
    for (String authorization :
        List.of(
            "Authorization: Bearer " + TOKEN + "x",
            "Authorization: Bearer " + TOKEN.substring(1),
            "Authorization: Bearer",
            "Authorization: Bearer ",
            "Authorization: Basic " + TOKEN,
            "Authorization: " + TOKEN,
            "Authorization: Bearer " + WEBHOOK_TOKEN,
            "X-Api-Token: " + TOKEN)) {
      expectUnauthorized(soft, authorization, send("GET", "/api/runs", authorization));
      expectUnauthorized(
          soft,
          "POST " + authorization,
          send("POST", "/api/runs/no-such-run/cancel", authorization));
    }
    soft.assertThat(send("GET", "/api/runs", "Authorization: bearer " + TOKEN).status())
        .as("the scheme is case-insensitive")
        .isEqualTo(200);
    soft.assertAll();
  }

  @Test
  void aRefusedSpellingWithTheTokenIsABadRequest() throws Exception {
    for (String target : List.of("/api;/events", "//api/events", "/api/%2e/events")) {
      Answer answer = send("GET", target, AUTHORIZED);
      assertThat(answer.status()).as(target + ": " + answer).isEqualTo(400);
      assertThat(error(answer).get("error").asText()).isEqualTo("bad request");
      assertThat(error(answer).get("detail").asText()).isNotBlank();
    }
    assertThat(send("GET", "/%61pi/events", AUTHORIZED).status())
        .as("a spelling the firewall lets through is routed, and authenticated")
        .isEqualTo(200);
  }

  @Test
  void everyOtherPathNeedsTheTokenToo() {
    SoftAssertions soft = new SoftAssertions();
    for (String path : List.of("/no-such-route", "/error", "/eventsx", "/session/x")) {
      expectUnauthorized(soft, path, send("GET", path));
    }
    soft.assertThat(send("GET", "/no-such-route", AUTHORIZED).status()).isEqualTo(404);
    // the dashboard's pages send a browser to the login instead; their data is the API's
    for (String page : List.of("/", "/runs/1", "/events", "/pipelines/x")) {
      Answer answer = send("GET", page);
      soft.assertThat(answer.status()).as(page).isEqualTo(303);
      soft.assertThat(answer.header("Location")).as(page).startsWith("/login?next=");
    }
    soft.assertThat(send("GET", "/login").status()).as("the sign-in page").isEqualTo(200);
    soft.assertAll();
  }

  @Test
  void everySpellingOfEveryDashboardPageSendsToTheLoginOrIsRefused() {
    List<Route> pages =
        mapped("").stream()
            .filter(route -> route.method().equals("GET"))
            .filter(route -> !route.path().startsWith("/api") && !route.path().equals("/"))
            .filter(route -> !List.of("/login", "/error", "/session").contains(route.path()))
            .toList();
    assertThat(pages)
        .as("the dashboard's pages, as Spring maps them")
        .contains(new Route("GET", "/runs/no-such-id"), new Route("GET", "/pipelines"));
    SoftAssertions soft = new SoftAssertions();
    for (Route page : pages) {
      for (Spelling spelling : SPELLINGS) {
        String target = spelling.spell().apply(page.path(), port);
        if (target == null) {
          continue;
        }
        String what = "GET " + target + " (" + spelling.name() + ")";
        Answer answer = send("GET", target);
        soft.assertThat(answer.status()).as(what + ": " + answer).isIn(303, 400, 401, 404);
        if (answer.status() == 303) {
          soft.assertThat(answer.header("Location")).as(what).startsWith("/login?next=");
        }
      }
    }
    soft.assertAll();
  }

  @Test
  void gatewayPathsStayOpenAndCheckTheirOwnCredentials() throws Exception {
    String webhook = "/events/webhook/ci";
    Answer accepted =
        RawHttp.sendBody(
            port,
            "POST",
            webhook,
            "{\"n\":1}",
            "Authorization: Bearer " + WEBHOOK_TOKEN,
            "Content-Type: application/json",
            "Origin: https://ci.example.org",
            "X-Event-Id: api-security-" + System.nanoTime());
    assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
    Answer refused =
        RawHttp.sendBody(
            port, "POST", webhook, "{\"n\":1}", AUTHORIZED, "Content-Type: application/json");
    assertThat(refused.status()).as("the API token is not the webhook's").isEqualTo(401);
    assertThat(refused.header("WWW-Authenticate")).as("the gateway's own answer").isNull();
  }

  @Test
  void probesStayOpenAndHealthDetailsNeedTheToken() throws Exception {
    for (String probe : List.of("/actuator/health/liveness", "/actuator/health/readiness")) {
      Answer answer = send("GET", probe);
      assertThat(answer.status()).as(probe + ": " + answer).isEqualTo(200);
      assertThat(json.readTree(answer.body()).get("status").asText()).isEqualTo("UP");
    }
    Answer anonymous = send("GET", "/actuator/health");
    assertThat(anonymous.status()).as(anonymous.toString()).isEqualTo(200);
    JsonNode status = json.readTree(anonymous.body());
    assertThat(status.has("status")).isTrue();
    assertThat(status.has("components")).as("no components: " + status).isFalse();
    assertThat(status.has("details")).isFalse();

    JsonNode detailed = json.readTree(send("GET", "/actuator/health", AUTHORIZED).body());
    assertThat(detailed.path("components").has("db")).as(detailed.toString()).isTrue();
    assertThat(detailed.path("components").path("extraRoutes").has("details")).isTrue();
  }

  @Test
  void metricsNeedTheToken() {
    expectUnauthorizedNow("/actuator/prometheus");
    Answer metrics = send("GET", "/actuator/prometheus", AUTHORIZED);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("# TYPE jvm_");
  }

  private void expectUnauthorizedNow(String path) {
    SoftAssertions soft = new SoftAssertions();
    expectUnauthorized(soft, path, send("GET", path));
    soft.assertAll();
  }

  @Test
  void onlyLoopbackIpLiteralsThePublicUrlAndAllowedHostsAreServed() throws Exception {
    List<String> served =
        List.of(
            "localhost",
            "localhost:" + port,
            "LocalHost:" + port,
            "127.0.0.1",
            "127.0.0.1:" + port,
            "[::1]:" + port,
            "[::1]",
            "10.1.2.3:8080",
            "192.168.0.7",
            "[fd00::1]:8080",
            "caravan.example.com",
            "caravan.example.com:443",
            "caravan.test",
            "CARAVAN.test:8080",
            "ci.internal");
    List<String> refused =
        List.of(
            "evil.example",
            "evil.example:" + port,
            "localhost.evil.example",
            "caravan.test.evil.example",
            "127.0.0.1.nip.io",
            "example.com",
            "caravan");
    List<String> failures = new ArrayList<>();
    for (String host : served) {
      Answer answer = send("GET", "/actuator/health/liveness", "Host: " + host);
      if (answer.status() != 200) {
        failures.add("served " + host + ": " + answer);
      }
    }
    for (String host : refused) {
      for (String[] request :
          new String[][] {
            {"GET", "/actuator/health/liveness"},
            {"GET", "/api/events", AUTHORIZED},
            {"GET", "/api;/events"},
            {"POST", "/events/webhook/ci", "Authorization: Bearer " + WEBHOOK_TOKEN}
          }) {
        List<String> headers = new ArrayList<>(List.of("Host: " + host));
        if (request.length > 2) {
          headers.add(request[2]);
        }
        Answer answer = send(request[0], request[1], headers.toArray(String[]::new));
        if (answer.status() != 400 || !answer.body().contains("\"error\":\"host not allowed\"")) {
          failures.add("refused " + host + " " + request[1] + ": " + answer);
        } else if (!error(answer)
            .get("detail")
            .asText()
            .contains("caravan.security.allowed-hosts")) {
          failures.add("detail for " + host + ": " + answer.body());
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void anAbsoluteFormTargetCannotNameAnotherHost() {
    String target = "http://evil.example/actuator/health/liveness";
    Answer mismatch = send("GET", target, "Host: 127.0.0.1:" + port);
    assertThat(mismatch.status())
        .as("Tomcat refuses a target whose host is not the Host header's: " + mismatch)
        .isEqualTo(400);
    Answer evil = send("GET", target, "Host: evil.example");
    assertThat(evil.status()).as(evil.toString()).isEqualTo(400);
    assertThat(evil.body()).contains("\"error\":\"host not allowed\"");
  }

  @Test
  void crossSiteUnsafeRequestsAreRefusedEvenWithTheToken() throws Exception {
    String cancel = "/api/runs/no-such-run/cancel";
    List<String[]> crossSite =
        List.of(
            new String[] {"Origin: http://evil.example"},
            new String[] {"Origin: null"},
            new String[] {"Origin: http://127.0.0.1:" + (port + 1)},
            new String[] {"Origin: https://127.0.0.1:" + port},
            new String[] {"Origin: http://caravan.example.com"},
            new String[] {"Origin: not a url"},
            new String[] {"Sec-Fetch-Site: cross-site"},
            new String[] {"Sec-Fetch-Site: same-site"},
            new String[] {"Sec-Fetch-Site: cross-site", "Origin: http://127.0.0.1:" + port},
            new String[] {"Sec-Fetch-Site: same-origin", "Origin: http://evil.example"});
    List<String> failures = new ArrayList<>();
    for (String[] headers : crossSite) {
      for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
        List<String> lines = new ArrayList<>(List.of(headers));
        lines.add(AUTHORIZED);
        Answer answer = send(method, cancel, lines.toArray(String[]::new));
        if (answer.status() != 403
            || !answer
                .body()
                .equals("{\"error\":\"forbidden\",\"detail\":\"cross-site request refused\"}")) {
          failures.add(method + " " + List.of(headers) + ": " + answer);
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(send("POST", cancel, "Origin: http://evil.example").status())
        .as("refused before the token is looked at")
        .isEqualTo(403);
  }

  @Test
  void sameOriginUnsafeRequestsAndCrossSiteReadsAreServed() {
    String cancel = "/api/runs/no-such-run/cancel";
    List<String[]> sameOrigin =
        List.of(
            new String[] {},
            new String[] {"Origin: http://127.0.0.1:" + port},
            new String[] {"Origin: HTTP://127.0.0.1:" + port},
            new String[] {"Origin: http://localhost:" + port, "Host: localhost:" + port},
            new String[] {"Origin: https://caravan.example.com"},
            new String[] {"Origin: https://caravan.example.com:443"},
            new String[] {"Sec-Fetch-Site: same-origin", "Origin: http://127.0.0.1:" + port},
            new String[] {"Sec-Fetch-Site: none"});
    SoftAssertions soft = new SoftAssertions();
    for (String[] headers : sameOrigin) {
      List<String> lines = new ArrayList<>(List.of(headers));
      lines.add(AUTHORIZED);
      soft.assertThat(send("POST", cancel, lines.toArray(String[]::new)).status())
          .as(List.of(headers).toString())
          .isEqualTo(404);
    }
    soft.assertThat(
            send(
                    "GET",
                    "/api/runs",
                    AUTHORIZED,
                    "Origin: http://evil.example",
                    "Sec-Fetch-Site: cross-site")
                .status())
        .as("a GET is not an unsafe request")
        .isEqualTo(200);
    soft.assertAll();
  }
}
