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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * Runs the {@code curl} examples of the REST API reference (and the README's {@code /api} ones)
 * over real HTTP, with java.net.http (no curl binary needed), and checks that every API endpoint
 * has one. {@code <run id>} and {@code <event id>} are those of a run of {@code on-push} that the
 * test starts and waits for; the port is the test's. An example answers 2xx unless the comment line
 * right after it starts with the status it answers ({@code # 409 ...}); a streaming example ({@code
 * curl -N}) is checked by the head of its answer, which is then closed. An example under a comment
 * line {@code # not run: <why>} (one that needs a pipeline or step the test does not have) is
 * skipped.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:rest-api-examples-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200"
    })
class RestApiExamplesIT {

  private static final List<Path> PAGES =
      List.of(Path.of("docs/reference/rest-api.md"), Path.of("README.md"));
  private static final Pattern FENCE = Pattern.compile("(?ms)^\\s*```sh\\s*$(.*?)^\\s*```\\s*$");
  private static final Pattern STATUS_COMMENT = Pattern.compile("^#\\s*([1-5]\\d\\d)\\b.*");
  private static final Pattern NOT_RUN = Pattern.compile("^#\\s*not run\\b.*");
  private static final Pattern PLACEHOLDER = Pattern.compile("<[^>]+>");
  private static final String TOKEN_VARIABLE = "$CARAVAN_API_TOKEN";

  @LocalServerPort int port;

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  /** A curl command as written, where it was written, and the status it should answer. */
  record Example(String page, int line, String command, Integer status) {
    @Override
    public String toString() {
      return page + ":" + line + ": " + command;
    }
  }

  /** What a curl command sends. */
  record Call(String method, String url, List<String[]> headers, String body, boolean streams) {}

  @Test
  void everyCurlExampleAnswersAsDocumentedAndEveryEndpointHasOne() throws Exception {
    Map<String, String> values = startRunAndWaitForItsEnd();
    List<Example> examples = new ArrayList<>();
    for (Path page : PAGES) {
      examples.addAll(examples(page));
    }
    assertThat(examples).hasSizeGreaterThan(10);
    List<String> sent = new ArrayList<>();
    SoftAssertions soft = new SoftAssertions();
    for (Example example : examples) {
      Call call = parse(substitute(example, values), example);
      URI uri = URI.create(call.url());
      if (!uri.getPath().startsWith("/api/")) {
        continue;
      }
      Answer answer = send(call);
      int status = answer.status();
      sent.add(call.method() + " " + uri.getPath());
      if (example.status() == null) {
        soft.assertThat(status).as(example + " -> " + answer).isBetween(200, 299);
      } else {
        soft.assertThat(status).as(example + " -> " + answer).isEqualTo(example.status());
      }
    }
    for (String endpoint : endpoints()) {
      String[] parts = endpoint.split(" ", 2);
      Pattern path = Pattern.compile(parts[1].replaceAll("\\{[^}]+}", "[^/]+"));
      soft.assertThat(sent)
          .as("a curl example of " + endpoint + " in " + PAGES.get(0))
          .anyMatch(
              line ->
                  line.startsWith(parts[0] + " ")
                      && path.matcher(line.substring(parts[0].length() + 1)).matches());
    }
    soft.assertAll();
  }

  /** Every METHOD /path of the API's controllers, and the OpenAPI document. */
  private List<String> endpoints() {
    List<String> endpoints = new ArrayList<>(List.of("GET /api/openapi.json"));
    for (Map.Entry<RequestMappingInfo, HandlerMethod> mapping :
        mappings.getHandlerMethods().entrySet()) {
      if (mapping.getValue().getBeanType().getPackageName().equals("dev.caravan.api")) {
        for (String path : mapping.getKey().getPatternValues()) {
          for (var method : mapping.getKey().getMethodsCondition().getMethods()) {
            endpoints.add(method.name() + " " + path);
          }
        }
      }
    }
    return endpoints;
  }

  /** The curl commands of the page's {@code sh} blocks, continuation lines joined. */
  static List<Example> examples(Path page) throws Exception {
    String text = Files.readString(page);
    List<Example> examples = new ArrayList<>();
    Matcher fence = FENCE.matcher(text);
    while (fence.find()) {
      int firstLine = text.substring(0, fence.start(1)).split("\n", -1).length;
      String[] lines = fence.group(1).split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        if (!lines[i].trim().startsWith("curl ")
            || i > 0 && NOT_RUN.matcher(lines[i - 1].trim()).matches()) {
          continue;
        }
        int start = i;
        StringBuilder command = new StringBuilder();
        String line = lines[i].trim();
        while (line.endsWith("\\") && i + 1 < lines.length) {
          command.append(line.substring(0, line.length() - 1).stripTrailing()).append(' ');
          line = lines[++i].trim();
        }
        command.append(line);
        Integer status = null;
        if (i + 1 < lines.length) {
          Matcher comment = STATUS_COMMENT.matcher(lines[i + 1].trim());
          if (comment.matches()) {
            status = Integer.parseInt(comment.group(1));
          }
        }
        examples.add(new Example(page.toString(), firstLine + start, command.toString(), status));
      }
    }
    return examples;
  }

  private String substitute(Example example, Map<String, String> values) {
    String command =
        example
            .command()
            .replace("http://127.0.0.1:8080", "http://127.0.0.1:" + port)
            .replace("http://localhost:8080", "http://127.0.0.1:" + port);
    for (Map.Entry<String, String> value : values.entrySet()) {
      command = command.replace(value.getKey(), value.getValue());
    }
    return command;
  }

  /** The request of a curl command line, parsed as a shell would split it. */
  static Call parse(String command, Example example) {
    List<String> words = ShellWords.split(command);
    assertThat(words.get(0)).isEqualTo("curl");
    String method = null;
    String url = null;
    String body = null;
    boolean streams = false;
    List<String[]> headers = new ArrayList<>();
    for (int i = 1; i < words.size(); i++) {
      String word = words.get(i);
      switch (word) {
        case "-X", "--request" -> method = words.get(++i);
        case "-H", "--header" -> {
          String header = words.get(++i);
          int colon = header.indexOf(':');
          headers.add(
              new String[] {header.substring(0, colon).trim(), header.substring(colon + 1).trim()});
        }
        case "-d", "--data", "--data-binary", "--data-raw" -> body = words.get(++i);
        case "-N", "--no-buffer" -> streams = true;
        case "-s", "-S", "-i", "-f", "--silent", "--show-error", "--include", "--fail" -> {}
        default -> {
          if (word.matches("-[sSifN]+")) {
            streams |= word.contains("N");
          } else if (word.startsWith("-")) {
            throw new AssertionError(example + ": teach this test curl's option " + word);
          } else {
            url = word;
          }
        }
      }
    }
    assertThat(url).as(example + ": a URL").isNotNull();
    Matcher unfilled = PLACEHOLDER.matcher(url + " " + (body == null ? "" : body));
    if (unfilled.find()) {
      throw new AssertionError(example + ": no value for " + unfilled.group() + ": add it");
    }
    if (body != null && headers.stream().noneMatch(h -> h[0].equalsIgnoreCase("Content-Type"))) {
      // as curl does
      headers.add(new String[] {"Content-Type", "application/x-www-form-urlencoded"});
    }
    if (method == null) {
      method = body == null ? "GET" : "POST";
    }
    return new Call(method.toUpperCase(Locale.ROOT), url, headers, body, streams);
  }

  /** The status and the start of the body of an answer. */
  record Answer(int status, String body) {
    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  private Answer send(Call call) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(call.url()))
            .timeout(Duration.ofSeconds(30))
            .method(
                call.method(),
                call.body() == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(call.body()));
    for (String[] header : call.headers()) {
      request.header(header[0], header[1]);
    }
    if (call.streams()) {
      HttpResponse<InputStream> answer =
          http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      answer.body().close();
      return new Answer(answer.statusCode(), "(streamed)");
    }
    HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String body = answer.body();
    return new Answer(
        answer.statusCode(), body.length() > 300 ? body.substring(0, 300) + "..." : body);
  }

  private Map<String, String> startRunAndWaitForItsEnd() throws Exception {
    HttpResponse<String> started =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + port + "/api/pipelines/on-push/runs?type=push"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ref\":\"refs/heads/main\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    JsonNode answer = json.readTree(started.body());
    String runId = answer.at("/run/id").asText();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                json.readTree(
                        http.send(
                                HttpRequest.newBuilder(
                                        URI.create(
                                            "http://127.0.0.1:" + port + "/api/runs/" + runId))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString())
                            .body())
                    .get("status")
                    .asText()
                    .equals("SUCCEEDED"));
    return Map.of(
        "<run id>",
        runId,
        "<event id>",
        answer.get("event").asText(),
        // no token is configured: any bearer token is let through
        TOKEN_VARIABLE,
        "any-token");
  }
}
