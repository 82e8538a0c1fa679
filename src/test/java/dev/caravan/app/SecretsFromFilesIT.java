package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.RawHttp;
import dev.caravan.gateway.Signatures;
import dev.caravan.reliability.ChildJvm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Secrets from files: {@code CARAVAN_SECRETS_DIR} holds one file per property (a mounted Kubernetes
 * Secret), here {@code caravan.github.webhook-secret}, and the GitHub gateway verifies signatures
 * against it. When a setting is both a file and an environment variable, which one wins depends on
 * the variable's name (checked in a JVM of its own, with real environment variables).
 */
class SecretsFromFilesIT {

  private static final String SECRET = "from-a-file-Qm7Tz2";

  @TempDir static Path secrets;

  private static ConfigurableApplicationContext app;
  private static int port;

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void startCaravan() throws Exception {
    // as a Kubernetes Secret volume writes it: the value, with the trailing newline of an editor
    Files.writeString(secrets.resolve("caravan.github.webhook-secret"), SECRET + "\n");
    app =
        new SpringApplicationBuilder(CaravanApplication.class)
            .run(
                "--CARAVAN_SECRETS_DIR=" + secrets,
                "--server.port=0",
                "--spring.datasource.url=jdbc:h2:mem:secrets-from-files;DB_CLOSE_DELAY=-1",
                "--camel.component.kjob.executor=local");
    port = ((ServletWebServerApplicationContext) app).getWebServer().getPort();
  }

  @AfterAll
  static void stopCaravan() {
    if (app != null) {
      app.close();
    }
  }

  private HttpResponse<String> deliver(String secret) throws Exception {
    return deliver(port, secret);
  }

  private HttpResponse<String> deliver(int port, String secret) throws Exception {
    byte[] body =
        ("{\"ref\":\"refs/heads/main\",\"after\":\"abc123\",\"repository\":{\"full_name\":"
                + "\"octo/hello\",\"clone_url\":\"https://github.com/octo/hello.git\"}}")
            .getBytes(StandardCharsets.UTF_8);
    String signature =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", secret, body));
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events/github"))
            .header("Content-Type", "application/json")
            .header("X-GitHub-Event", "push")
            .header("X-GitHub-Delivery", UUID.randomUUID().toString())
            .header("X-Hub-Signature-256", signature)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDeliverySignedWithTheSecretFromTheFileIsAccepted() throws Exception {
    assertThat(app.getEnvironment().getProperty("caravan.github.webhook-secret"))
        .as("the file's value, its trailing newline trimmed")
        .isEqualTo(SECRET);

    HttpResponse<String> response = deliver(SECRET);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
  }

  @Test
  void aDeliverySignedWithAnotherSecretIsRefused() throws Exception {
    HttpResponse<String> response = deliver("not-the-secret");

    assertThat(response.statusCode()).isEqualTo(401);
  }

  /**
   * A variable named after the property ({@code CARAVAN_API_TOKEN} for {@code caravan.api.token},
   * {@code CARAVAN_GITHUB_WEBHOOK_SECRET} for {@code caravan.github.webhook-secret}) is one of
   * Spring Boot's OS environment variables, which rank above config data: it wins over the file. A
   * variable of another name ({@code CARAVAN_DB_PASSWORD} for {@code spring.datasource.password})
   * only fills the placeholder of application.properties, which ranks below the files it imports:
   * the file wins. The database accepts only the file's password, so Caravan starts only if the
   * file won there.
   */
  @Test
  void aVariableNamedAfterThePropertyWinsOverItsFileAndAVariableOfAnotherNameLoses(
      @TempDir Path dir) throws Exception {
    Path files = Files.createDirectories(dir.resolve("secrets"));
    Files.writeString(files.resolve("caravan.github.webhook-secret"), "file-secret-Hk4p\n");
    Files.writeString(files.resolve("caravan.api.token"), "file-token-Zr8w\n");
    Files.writeString(files.resolve("spring.datasource.password"), "file-db-password-Lq3v\n");
    String database = "jdbc:h2:file:" + dir.resolve("data").resolve("caravan");
    DriverManager.getConnection(database, "sa", "file-db-password-Lq3v").close();
    int childPort = RawHttp.freePort();
    ChildJvm child =
        ChildJvm.start(
            dir.resolve("caravan.log"),
            List.of(),
            CaravanApplication.class.getName(),
            List.of(
                "--server.port=" + childPort,
                "--spring.datasource.url=" + database,
                "--camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
                    + "classpath:routes/gateways/*.yaml",
                "--camel.component.kjob.executor=local"),
            true,
            Map.of(
                "CARAVAN_SECRETS_DIR", files.toString(),
                "CARAVAN_GITHUB_WEBHOOK_SECRET", "env-secret-Tb6n",
                "CARAVAN_API_TOKEN", "env-token-Wc2j",
                "CARAVAN_DB_PASSWORD", "env-db-password-Pn5x"));
    try {
      await()
          .atMost(Duration.ofMinutes(2))
          .ignoreExceptionsInstanceOf(IOException.class)
          .failFast(
              "Caravan ended (with the variable's database password?)",
              () -> !child.process().isAlive())
          .until(() -> get(childPort, "/actuator/health/readiness", null).statusCode() == 200);

      assertThat(deliver(childPort, "env-secret-Tb6n").statusCode())
          .as("signed with the variable's webhook secret")
          .isEqualTo(202);
      assertThat(deliver(childPort, "file-secret-Hk4p").statusCode())
          .as("signed with the file's webhook secret")
          .isEqualTo(401);
      assertThat(get(childPort, "/api/events", "env-token-Wc2j").statusCode())
          .as("the variable's API token")
          .isEqualTo(200);
      assertThat(get(childPort, "/api/events", "file-token-Zr8w").statusCode())
          .as("the file's API token")
          .isEqualTo(401);
    } finally {
      child.process().destroy();
      if (!child.process().waitFor(30, TimeUnit.SECONDS)) {
        child.process().destroyForcibly();
      }
    }
  }

  private HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
