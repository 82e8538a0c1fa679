package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventConstants;
import dev.caravan.run.Runs;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Log followers of a quiet step, for the tests that hold many of them open at once: a pipeline
 * whose step prints {@code waiting}, then waits for a gate file; the follow request of one of its
 * runs; raw-socket followers; the gauge of followers.
 */
public final class QuietStepFollowers {

  /** The gauge of open follow streams. */
  public static final String GAUGE = "caravan.api.log.followers";

  /** The step's first line, which every follower is sent at once. */
  public static final String FIRST_LINE = "waiting\n";

  private QuietStepFollowers() {}

  /** The pipeline {@code followed}: a step that prints a line, then waits for its gate file. */
  @TestConfiguration
  public static class QuietPipeline {
    @Bean
    RouteBuilder quietPipeline() {
      return new RouteBuilder() {
        @Override
        public void configure() {
          from("event:followed")
              .routeId("followed")
              .to(
                  "kjob:quiet?timeout=120s&env.GATE=${body[gate]}&script=echo waiting; while [ !"
                      + " -f \"$GATE\" ]; do sleep 0.1; done; echo done");
        }
      };
    }
  }

  /** The open follow streams, as the gauge counts them. */
  public static double followers(MeterRegistry meters) {
    return meters.get(GAUGE).gauge().value();
  }

  /**
   * Starts a run of {@link QuietPipeline} that ends once {@code gate} exists, and waits until its
   * step printed its first line.
   *
   * @return the run's id
   */
  public static String startQuietRun(CamelContext camel, Path gate, Duration wait) {
    String eventId = UUID.randomUUID().toString();
    camel
        .createProducerTemplate()
        .sendBodyAndHeaders(
            "event:followed",
            Map.of("gate", gate.toString()),
            Map.of(EventConstants.EVENT_ID, eventId, EventConstants.EVENT_TYPE, "go"));
    String runId =
        await()
            .atMost(wait)
            .until(
                () -> Runs.of(camel).store().runs("followed", null, eventId, 1, 0),
                found -> !found.isEmpty())
            .get(0)
            .id();
    await()
        .atMost(wait)
        .until(() -> Runs.of(camel).journal().log(runId, "quiet", "", 1).equals(FIRST_LINE));
    return runId;
  }

  /** The follow request of the quiet step of a run. */
  public static String followPath(String runId) {
    return "/api/runs/" + runId + "/steps/quiet/logs?follow=true";
  }

  /**
   * Opens a follow request on a raw socket and reads until the first log line arrived; the caller
   * closes the socket (the client leaving).
   */
  public static Socket follow(int port, String path, Duration wait) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout((int) wait.toMillis());
    socket
        .getOutputStream()
        .write(
            ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    while (!seen.toString(StandardCharsets.UTF_8).contains(FIRST_LINE)) {
      int b = in.read();
      assertThat(b).as("follow stream ended early: %s", seen).isNotNegative();
      seen.write(b);
    }
    assertThat(seen.toString(StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200");
    return socket;
  }
}
