package dev.caravan.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The dashboard with an API token: pages send a browser to the login, which exchanges the token for
 * an HttpOnly, SameSite=Strict session; the session's writes need its CSRF token, and cross-site
 * writes are refused; API clients keep using the bearer token without a session.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, DashboardPipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:dashboard-login;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.token=" + DashboardLoginIT.TOKEN
    })
class DashboardLoginIT {

  static final String TOKEN = "dashboard-login-t0ken";

  @RegisterExtension static final Browser browser = new Browser();

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> login(String token) throws Exception {
    String form =
        "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8) + "&next=%2Fpipelines";
    return send(
        HttpRequest.newBuilder(URI.create(url("/login")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form)));
  }

  /** The session cookie a login sets, as {@code name=value}. */
  private String sessionCookie() throws Exception {
    HttpResponse<String> answer = login(TOKEN);
    assertThat(answer.statusCode()).isEqualTo(303);
    String cookie =
        answer.headers().allValues("Set-Cookie").stream()
            .filter(value -> value.startsWith("CARAVAN_SESSION="))
            .findFirst()
            .orElseThrow();
    return cookie.substring(0, cookie.indexOf(';'));
  }

  private HttpRequest.Builder runNow(String cookie) {
    return HttpRequest.newBuilder(URI.create(url("/api/pipelines/dash-quick/runs")))
        .header("Cookie", cookie)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}"));
  }

  @Test
  void everyPageNeedsTheLoginAndTheLoginLeadsBack() throws Exception {
    for (String page : List.of("/", "/runs/x", "/events", "/events/x", "/pipelines/dash-quick")) {
      HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create(url(page))));
      assertThat(answer.statusCode()).as(page).isEqualTo(303);
      assertThat(answer.headers().firstValue("Location"))
          .as(page)
          .contains("/login?next=" + URLEncoder.encode(page, StandardCharsets.UTF_8));
    }

    browser.open(url("/pipelines/dash-quick"));
    browser.waitFor(d -> d.getCurrentUrl().contains("/login"));
    browser.screenshot("login");
    browser.waitFor(By.id("token")).sendKeys("not-the-token");
    browser.waitFor(By.cssSelector("form.login-form button")).click();
    browser.waitFor(By.cssSelector("#login-error:not([hidden])"));

    browser.waitFor(By.id("token")).sendKeys(TOKEN);
    browser.waitFor(By.cssSelector("form.login-form button")).click();
    browser.waitFor(d -> d.getCurrentUrl().endsWith("/pipelines/dash-quick"));

    // a write from the page carries the session's CSRF token
    browser.waitFor(By.id("action-run")).click();
    browser.waitFor(d -> d.getCurrentUrl().contains("/runs/"));
    browser.waitFor(d -> d.findElement(By.id("run-status")).getText().contains("SUCCEEDED"));

    WebElement signOut = browser.waitFor(By.cssSelector("form.logout button"));
    signOut.click();
    browser.waitFor(d -> d.getCurrentUrl().contains("/login"));
    browser.open(url("/"));
    browser.waitFor(d -> d.getCurrentUrl().contains("/login"));
  }

  @Test
  void theSessionCookieIsHttpOnlyAndSameSiteStrictAndAWrongTokenGetsNone() throws Exception {
    HttpResponse<String> answer = login(TOKEN);

    assertThat(answer.statusCode()).isEqualTo(303);
    assertThat(answer.headers().firstValue("Location")).contains("/pipelines");
    assertThat(answer.headers().allValues("Set-Cookie"))
        .anySatisfy(
            cookie ->
                assertThat(cookie)
                    .startsWith("CARAVAN_SESSION=")
                    .contains("HttpOnly")
                    .containsIgnoringCase("SameSite=Strict"));
    HttpResponse<String> wrong = login("wrong");
    assertThat(wrong.headers().firstValue("Location")).contains("/login?error&next=%2Fpipelines");
    assertThat(wrong.headers().allValues("Set-Cookie")).isEmpty();
  }

  @Test
  void aLoginNeverSendsTheBrowserToAnotherSite() throws Exception {
    for (String next : List.of("//evil.example/", "https://evil.example/", "/\\evil.example")) {
      HttpResponse<String> answer =
          send(
              HttpRequest.newBuilder(URI.create(url("/login")))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "token="
                              + TOKEN
                              + "&next="
                              + URLEncoder.encode(next, StandardCharsets.UTF_8))));
      assertThat(answer.headers().firstValue("Location")).as(next).contains("/");
      assertThat(answer.statusCode()).as(next).isEqualTo(303);
    }
  }

  @Test
  void aSessionsWritesNeedItsCsrfTokenAndCrossSiteWritesAreRefused() throws Exception {
    String cookie = sessionCookie();

    HttpResponse<String> withoutCsrf = send(runNow(cookie));
    assertThat(withoutCsrf.statusCode()).isEqualTo(403);
    assertThat(json.readTree(withoutCsrf.body()).path("error").asText()).isEqualTo("forbidden");

    JsonNode session =
        json.readTree(
            send(HttpRequest.newBuilder(URI.create(url("/session"))).header("Cookie", cookie))
                .body());
    assertThat(session.path("authenticated").asBoolean()).isTrue();
    String header = session.path("csrf").path("header").asText();
    String csrf = session.path("csrf").path("token").asText();

    HttpResponse<String> crossSite =
        send(runNow(cookie).header(header, csrf).header("Origin", "http://evil.example"));
    assertThat(crossSite.statusCode()).isEqualTo(403);

    HttpResponse<String> sameSite = send(runNow(cookie).header(header, csrf));
    assertThat(sameSite.statusCode()).as(sameSite.body()).isEqualTo(202);
  }

  @Test
  void apiClientsWithTheTokenNeedNoSessionAndGetNone() throws Exception {
    HttpResponse<String> answer =
        send(
            HttpRequest.newBuilder(URI.create(url("/api/pipelines/dash-quick/runs")))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));

    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    assertThat(answer.headers().allValues("Set-Cookie")).isEmpty();
    HttpResponse<String> withoutToken = send(HttpRequest.newBuilder(URI.create(url("/api/runs"))));
    assertThat(withoutToken.statusCode()).isEqualTo(401);
  }
}
