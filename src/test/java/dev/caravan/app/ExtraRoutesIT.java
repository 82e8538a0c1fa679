package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.LogCapture;
import dev.caravan.routes.RoutesDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

/**
 * {@code CARAVAN_ROUTES_DIR} in the Spring Boot app: the directory's routes (here HTTP pipelines
 * with a local step) run from the start, follow the directory, and a broken file shows in {@code
 * /actuator/health} as {@code extraRoutes} while everything else keeps running.
 */
@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:extra-routes;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
class ExtraRoutesIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Path DIR = createDirectory();

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private ListAppender<ILoggingEvent> log;

  private static Path createDirectory() {
    try {
      Path dir = Files.createTempDirectory("caravan-routes-dir");
      write(dir, "greet.yaml", pipeline("greet", "echo \"extra: $(cat) ($LABEL)\""));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void routesDir(DynamicPropertyRegistry registry) {
    registry.add("caravan.routes-dir", DIR::toString);
  }

  @AfterAll
  static void removeDirectory() throws IOException {
    FileSystemUtils.deleteRecursively(DIR);
  }

  @BeforeEach
  void captureLog() {
    log = LogCapture.start(RoutesDirectory.class);
  }

  @AfterEach
  void stopCapture() {
    LogCapture.stop(RoutesDirectory.class, log);
  }

  /**
   * POST /extra/<name> runs one local step that reads the body on its standard input, with {@code
   * LABEL} in its environment (text Camel's YAML DSL would decode, were it not passed as written).
   */
  private static String pipeline(String name, String script) {
    return """
        - route:
            id: extra-%s
            from:
              uri: platform-http:/extra/%s
              parameters:
                httpMethodRestrict: POST
              steps:
                - removeHeaders:
                    pattern: "*"
                - to:
                    uri: kjob:%s
                    parameters:
                      image: busybox:1.36
                      script: '%s'
                      env.LABEL: "c++ & 100%%"
        """
        .formatted(name, name, name, script);
  }

  private static void write(Path dir, String file, String yaml) throws IOException {
    Path temp = dir.resolve("." + file + ".tmp");
    Files.writeString(temp, yaml);
    Files.move(
        temp,
        dir.resolve(file),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode health() throws Exception {
    return json.readTree(get("/actuator/health").body()).path("components").path("extraRoutes");
  }

  @Test
  void theDirectorysPipelinesRunFromTheStartAndFollowTheDirectory() throws Exception {
    HttpResponse<String> greet = post("/extra/greet", "Ada");
    assertThat(greet.statusCode()).isEqualTo(200);
    assertThat(greet.body()).isEqualTo("extra: Ada (c++ & 100%)\n");
    JsonNode health = health();
    assertThat(health.path("status").asText()).isEqualTo("UP");
    assertThat(health.path("details").path("directory").asText())
        .isEqualTo(DIR.toAbsolutePath().normalize().toString());
    assertThat(health.path("details").path("files").path("greet.yaml").path("routes").toString())
        .isEqualTo("[\"extra-greet\"]");

    write(DIR, "count.yaml", pipeline("count", "echo \"words: $(wc -w)\""));
    await().atMost(WAIT).until(() -> post("/extra/count", "a b c").statusCode() == 200);
    assertThat(post("/extra/count", "a b c").body()).isEqualTo("words: 3\n");

    write(DIR, "count.yaml", pipeline("count", "echo \"letters: $(wc -c)\""));
    await().atMost(WAIT).until(() -> post("/extra/count", "abc").body().equals("letters: 3\n"));

    Files.delete(DIR.resolve("count.yaml"));
    // its path is gone too (see PlatformHttpMappings)
    await().atMost(WAIT).until(() -> post("/extra/count", "abc").statusCode() == 404);
    assertThat(post("/extra/count", "abc").body()).contains("\"error\":\"not found\"");
    assertThat(post("/extra/greet", "Bob").body()).isEqualTo("extra: Bob (c++ & 100%)\n");
  }

  @Test
  void aBrokenFileIsReportedInHealthAndTheLogWhileTheRestKeepsRunning() throws Exception {
    write(
        DIR,
        "broken.yaml",
        """
        - route:
            id: extra-broken
            from:
              uri: platform-http:/extra/broken
              steps:
                - nonsense: {}
        """);

    await().atMost(WAIT).until(() -> health().path("status").asText().equals("DOWN"));
    JsonNode broken = health().path("details").path("files").path("broken.yaml");
    assertThat(broken.path("status").asText()).isEqualTo("failed");
    assertThat(broken.path("error").asText()).contains("Unknown node id: nonsense", "line 6");
    assertThat(health().path("details").path("files").path("greet.yaml").path("status").asText())
        .isEqualTo("loaded");
    assertThat(LogCapture.events(log))
        .anySatisfy(
            event -> {
              assertThat(event.getLevel()).isEqualTo(Level.WARN);
              assertThat(event.getFormattedMessage()).contains("broken.yaml", "nonsense");
            });
    // overall health is DOWN, the probes are not: no restart, no removal from the Service
    assertThat(get("/actuator/health").statusCode()).isEqualTo(503);
    assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
    assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
    // the directory's other pipeline and the built-in ones keep running
    assertThat(post("/extra/greet", "Ada").body()).isEqualTo("extra: Ada (c++ & 100%)\n");
    assertThat(post("/hello", "Ada").body()).contains("HELLO, ADA!");

    Files.delete(DIR.resolve("broken.yaml"));
    await().atMost(WAIT).until(() -> health().path("status").asText().equals("UP"));
    assertThat(health().path("details").path("files").has("broken.yaml")).isFalse();
  }
}
