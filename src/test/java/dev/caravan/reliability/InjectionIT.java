package dev.caravan.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import dev.caravan.gateway.Signatures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * Event data full of shell and URI metacharacters reaches a step only as environment variables: the
 * step prints it back byte for byte, runs the route's own script and nothing else.
 */
@SpringBootTest(
    classes = {CaravanApplication.class, InjectionIT.Pipelines.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.github.webhook-secret=" + InjectionIT.SECRET,
      "spring.datasource.url=jdbc:h2:mem:injection-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local",
      "camel.component.event.poll-interval=200"
    })
class InjectionIT {

  static final String SECRET = "injection-secret-77c1";
  static final Path DIR = createDir();

  /** Step outputs by pull request number. */
  static final Map<Integer, String> OUTPUTS = new ConcurrentHashMap<>();

  @LocalServerPort int port;

  private final ObjectMapper json = new ObjectMapper();

  @TestConfiguration
  static class Pipelines {
    @Bean
    RouteBuilder echoPipeline() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:github?types=pull_request:opened")
              .routeId("injection-echo")
              .to(
                  "kjob:echo-fields?timeout=60s"
                      + "&env.TITLE=${body[pull_request][title]}"
                      + "&env.REF=${body[pull_request][head][ref]}"
                      + "&env.REPO=${header.CaravanEventSubject}"
                      + "&script=RAW(printf 'route-script\\n%s\\n%s\\n%s' \"$TITLE\" \"$REF\""
                      + " \"$REPO\")")
              .process(
                  e ->
                      OUTPUTS.put(
                          numberOf(e.getMessage().getHeader("CaravanEventId", String.class)),
                          e.getMessage().getBody(String.class)));
        }
      };
    }
  }

  private static final Map<String, Integer> NUMBERS = new ConcurrentHashMap<>();

  private static int numberOf(String deliveryId) {
    return NUMBERS.getOrDefault(deliveryId, -1);
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("injection");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String marker(String name) {
    return DIR.resolve(name).toString();
  }

  private HttpResponse<String> deliverPullRequest(int number, String title, String ref)
      throws Exception {
    String payload =
        json.writeValueAsString(
            Map.of(
                "action",
                "opened",
                "number",
                number,
                "pull_request",
                Map.of("title", title, "head", Map.of("ref", ref, "sha", "abc" + number)),
                "repository",
                Map.of(
                    "full_name",
                    "octo/injection",
                    "clone_url",
                    "https://github.com/octo/injection.git")));
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    String id = "inj-" + UUID.randomUUID();
    NUMBERS.put(id, number);
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
                .header("Content-Type", "application/json")
                .header("X-GitHub-Event", "pull_request")
                .header("X-GitHub-Delivery", id)
                .header(
                    "X-Hub-Signature-256",
                    "sha256="
                        + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", SECRET, body)))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private void assertEchoedExactly(int number, String title, String ref) throws Exception {
    assertThat(deliverPullRequest(number, title, ref).statusCode()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(30)).until(() -> OUTPUTS.containsKey(number));
    assertThat(OUTPUTS.get(number))
        .as("the route's own script ran, with the data as plain text")
        .isEqualTo("route-script\n" + title + "\n" + ref + "\nocto/injection");
  }

  private static List<Path> markers() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.toList();
    }
  }

  @Test
  void shellMetacharactersAreDataNotCode() throws Exception {
    String title =
        "$(touch "
            + marker("dollar")
            + ") `touch "
            + marker("backtick")
            + "`; touch "
            + marker("semicolon")
            + "\ntouch "
            + marker("newline")
            + " && touch "
            + marker("and")
            + " | touch "
            + marker("pipe")
            + " > "
            + marker("redirect")
            + " ${IFS} $HOME '\" \\n";
    String ref = "feature;touch " + marker("ref") + "&&$(id)";

    assertEchoedExactly(1, title, ref);

    assertThat(markers()).as("files created by injected commands").isEmpty();
  }

  @Test
  void uriMetacharactersAddNoKjobOptions() throws Exception {
    // were any of these read as URI options, the script would be replaced (marker file, no
    // "route-script" line), the timeout of 1 ms would fail the step, or a value would be cut at '&'
    String title =
        "a&b?c=d#e &script=touch "
            + marker("script")
            + "&timeout=1ms&env.REF=forged&image=evil:latest %26script%3Dtouch%20x RAW(x) +plus";
    String ref = "#bean&script=touch " + marker("ref-script") + "?x=1#frag";

    assertEchoedExactly(2, title, ref);

    assertThat(markers()).as("files created by injected options").isEmpty();
  }
}
