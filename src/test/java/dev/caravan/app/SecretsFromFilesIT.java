package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.gateway.Signatures;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.UUID;
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
 * against it.
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
}
