package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "camel.component.kjob.executor=local")
class HelloPipelineIT {

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> post(String body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello"))
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersWithTheJoinedOutputOfTheParallelSteps() throws Exception {
    HttpResponse<String> response = post("Ada");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    assertThat(response.body())
        .isEqualTo("Joined output of the parallel steps:\nHELLO, ADA!\nwords: 2\n");
  }

  @Test
  void requestHeadersCannotOverrideStepOptions() throws Exception {
    HttpResponse<String> response = post("Ada", "CaravanScript", "echo injected");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).doesNotContain("injected").contains("HELLO, ADA!");
    assertThat(response.headers().map().keySet())
        .noneMatch(name -> name.toLowerCase().startsWith("caravan"));
  }

  @Test
  void otherMethodsAreRejected() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello")).GET().build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(405);
  }
}
