package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanApplication;
import dev.caravan.event.EventConstants;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Two Caravans on one store: a client of {@code /api/stream} on one sees the run that the other
 * runs (a pipeline only the other has), step changes included, because the stream reads the store's
 * change log rather than what happens in its own process.
 */
class StreamAcrossInstancesIT {

  private static final String STORE = "jdbc:h2:mem:two-caravans;DB_CLOSE_DELAY=-1";

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final List<ConfigurableApplicationContext> apps = new ArrayList<>();
  private InputStream stream;

  /** The pipeline that only the first Caravan has. */
  @Configuration
  static class Pipeline {
    @Bean
    RouteBuilder elsewherePipeline() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:elsewhere").routeId("elsewhere").to("kjob:hello?script=echo hi");
        }
      };
    }
  }

  private ConfigurableApplicationContext start(Class<?>... sources) {
    ConfigurableApplicationContext app =
        new SpringApplicationBuilder(sources)
            .run(
                "--server.port=0",
                "--spring.datasource.url=" + STORE,
                "--camel.component.kjob.executor=local",
                "--camel.component.event.poll-interval=200",
                "--caravan.api.heartbeat=1s");
    apps.add(app);
    return app;
  }

  private static int port(ConfigurableApplicationContext app) {
    return ((ServletWebServerApplicationContext) app).getWebServer().getPort();
  }

  @AfterEach
  void stop() throws Exception {
    if (stream != null) {
      stream.close();
    }
    for (int i = apps.size() - 1; i >= 0; i--) {
      apps.get(i).close();
    }
  }

  @Test
  void aStreamOnOneCaravanGetsTheChangesOfARunOnAnother() throws Exception {
    ConfigurableApplicationContext watching = start(CaravanApplication.class);
    ConfigurableApplicationContext running = start(CaravanApplication.class, Pipeline.class);
    assertThat(watching.getBean(CamelContext.class).getRoute("elsewhere")).isNull();

    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + port(watching) + "/api/stream?pipeline=elsewhere"))
                .header("Accept", "text/event-stream")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    stream = response.body();
    LiveLogsIT.Events events = new LiveLogsIT.Events(response);

    running
        .getBean(CamelContext.class)
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:elsewhere",
            Map.of(),
            Map.of(
                EventConstants.EVENT_ID,
                UUID.randomUUID().toString(),
                EventConstants.EVENT_TYPE,
                "go"));

    // each event shows the run or step as it is when the change is read: on a busy machine the
    // run's first change may already show it SUCCEEDED, so read until both ends were seen
    List<String> seen = new ArrayList<>();
    while (!(seen.contains("run SUCCEEDED") && seen.contains("step SUCCEEDED"))) {
      LiveLogsIT.Event event = events.nextEvent();
      assertThat(event).as("stream ended early after %s", seen).isNotNull();
      JsonNode data = json.readTree(event.data());
      seen.add(event.type() + " " + data.get("status").asText());
    }
    assertThat(seen).contains("run SUCCEEDED", "step SUCCEEDED");
  }
}
