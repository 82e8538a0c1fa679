package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * {@code GET /api/openapi.json} over real HTTP: behind the API token, with a bearer scheme; it
 * describes every {@code /api} handler with its query parameters, and every path it documents
 * answers every method it documents (none 404, 405 or 5xx) when called with real ids.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:openapi-document-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200",
      "caravan.api.token=" + OpenApiDocumentIT.TOKEN
    })
class OpenApiDocumentIT {

  static final String TOKEN = "openapi-t0ken";
  private static final Pattern VARIABLE = Pattern.compile("\\{([^}]+)}");

  @LocalServerPort int port;

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + TOKEN);
  }

  private JsonNode document() throws Exception {
    HttpResponse<String> answer =
        http.send(request("/api/openapi.json").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    assertThat(answer.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    return json.readTree(answer.body());
  }

  @Test
  void theDocumentNeedsTheTokenAndDeclaresBearerAuth() throws Exception {
    HttpResponse<String> anonymous =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/openapi.json"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(json.readTree(anonymous.body()).get("error").asText()).isEqualTo("unauthorized");

    JsonNode document = document();
    assertThat(document.get("openapi").asText()).startsWith("3.");
    JsonNode bearer = document.at("/components/securitySchemes/bearer");
    assertThat(bearer.get("type").asText()).isEqualTo("http");
    assertThat(bearer.get("scheme").asText()).isEqualTo("bearer");
    assertThat(document.at("/security/0").has("bearer")).isTrue();
    assertThat(document.at("/components/schemas/Error/required"))
        .extracting(JsonNode::asText)
        .containsExactlyInAnyOrder("error", "detail");
  }

  @Test
  void everyApiHandlerIsDescribedWithItsQueryParameters() throws Exception {
    JsonNode paths = document().get("paths");
    SoftAssertions soft = new SoftAssertions();
    for (Map.Entry<RequestMappingInfo, HandlerMethod> mapping :
        mappings.getHandlerMethods().entrySet()) {
      if (!mapping.getValue().getBeanType().getPackageName().equals("dev.caravan.api")) {
        continue;
      }
      for (String path : mapping.getKey().getPatternValues()) {
        for (var method : mapping.getKey().getMethodsCondition().getMethods()) {
          JsonNode operation = paths.path(path).path(method.name().toLowerCase(Locale.ROOT));
          soft.assertThat(operation.isMissingNode())
              .as(method + " " + path + " is in the document")
              .isFalse();
          Set<String> documented = new TreeSet<>();
          operation.path("parameters").forEach(p -> documented.add(p.get("name").asText()));
          Set<String> accepted = QueryParameters.accepted(mapping.getValue()).orElse(Set.of());
          soft.assertThat(documented).as(method + " " + path + " parameters").containsAll(accepted);
          soft.assertThat(operation.path("responses").has("400"))
              .as(method + " " + path + " documents its 400")
              .isTrue();
        }
      }
    }
    soft.assertAll();
  }

  @Test
  void everyDocumentedPathAnswersEveryDocumentedMethod() throws Exception {
    String started = startRunAndWaitForItsEnd();
    JsonNode run = getJson("/api/runs/" + started);
    Map<String, String> values =
        Map.of(
            "runs",
            started,
            "events",
            run.get("event").asText(),
            "pipelines",
            "on-push",
            "step",
            "describe-push");
    JsonNode paths = document().get("paths");
    assertThat(paths.size()).isGreaterThanOrEqualTo(10);
    List<String> called = new ArrayList<>();
    SoftAssertions soft = new SoftAssertions();
    for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> path = it.next();
      String target = fill(path.getKey(), values);
      for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
        String method = methods.next().toUpperCase(Locale.ROOT);
        int status = call(method, target);
        called.add(method + " " + target + " " + status);
        soft.assertThat(status)
            .as(method + " " + path.getKey() + " (" + target + ")")
            .isNotIn(404, 405)
            .isLessThan(500);
      }
    }
    soft.assertAll();
    assertThat(called).anyMatch(line -> line.startsWith("POST /api/runs/" + started + "/retry"));
  }

  /** The path with each {variable} set from the values: {id} by the segment before it. */
  private static String fill(String path, Map<String, String> values) {
    Matcher matcher = VARIABLE.matcher(path);
    StringBuilder filled = new StringBuilder();
    while (matcher.find()) {
      String name = matcher.group(1);
      String value = values.get(name);
      if (value == null) {
        String before = path.substring(0, matcher.start() - 1);
        value = values.get(before.substring(before.lastIndexOf('/') + 1));
      }
      assertThat(value)
          .as("a value for {" + name + "} in " + path + ": add it to the test")
          .isNotNull();
      matcher.appendReplacement(filled, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(filled);
    return filled.toString();
  }

  /** The status of the call; a streaming answer is closed once its head has arrived. */
  private int call(String method, String target) throws Exception {
    HttpRequest.Builder request = request(target);
    if (method.equals("GET")) {
      request.GET();
    } else {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString("{}"));
    }
    HttpResponse<InputStream> answer =
        http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    answer.body().close();
    return answer.statusCode();
  }

  private String startRunAndWaitForItsEnd() throws Exception {
    HttpResponse<String> started =
        http.send(
            request("/api/pipelines/on-push/runs?type=push&subject=octo/openapi")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ref\":\"refs/heads/main\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String runId = json.readTree(started.body()).at("/run/id").asText();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> getJson("/api/runs/" + runId).get("status").asText().equals("SUCCEEDED"));
    return runId;
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> answer =
        http.send(request(path).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(path + ": " + answer.body()).isEqualTo(200);
    return json.readTree(answer.body());
  }
}
