package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.RawHttp;
import dev.caravan.app.CaravanApplication;
import dev.caravan.reliability.ChildJvm;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spring Boot shuts the web server down gracefully, waiting up to 30 s for requests in flight: a
 * client of /api/stream or of a followed log, whose request stays open for an hour, must not hold
 * Caravan's shutdown for that long. Caravan runs in a JVM of its own, stopped by SIGTERM as a
 * container runtime or a terminal would.
 */
class StreamsEndOnShutdownIT {

  @TempDir Path dir;

  @Test
  void openStreamsAreEndedWhenCaravanStopsSoItStopsWithoutWaitingForThem() throws Exception {
    int port = RawHttp.freePort();
    ChildJvm caravan =
        ChildJvm.start(
            dir.resolve("caravan.log"),
            List.of(),
            CaravanApplication.class.getName(),
            List.of(
                "--server.port=" + port,
                "--caravan.data-dir=" + dir.resolve("data"),
                "--camel.main.routes-include-pattern=classpath:routes/common/*.yaml,"
                    + "classpath:routes/gateways/*.yaml",
                "--camel.component.kjob.executor=local"),
            true);
    try {
      await()
          .atMost(Duration.ofMinutes(2))
          .ignoreExceptionsInstanceOf(IOException.class)
          .failFast("Caravan ended", () -> !caravan.process().isAlive())
          .until(
              () -> head(port, "/api/runs?limit=1", "application/json").startsWith("HTTP/1.1 200"));

      try (Socket client = new Socket("127.0.0.1", port)) {
        client.setSoTimeout(60_000);
        InputStream stream = open(client, port, "/api/stream", "text/event-stream");
        assertThat(RawHttp.readHead(stream))
            .startsWith("HTTP/1.1 200")
            .contains("text/event-stream");
        CompletableFuture<Void> ended =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    while (stream.read() >= 0) {
                      // heartbeats, until the stream ends
                    }
                  } catch (IOException e) {
                    // the connection was closed: ended as well
                  }
                });

        caravan.process().destroy();

        await()
            .atMost(Duration.ofSeconds(15))
            .alias("the open stream ended when Caravan began to stop; log:\n" + caravan.tail())
            .until(ended::isDone);
        assertThat(caravan.process().waitFor(15, TimeUnit.SECONDS))
            .as(
                "Caravan stopped without waiting out the graceful shutdown; log:\n%s",
                caravan.tail())
            .isTrue();
      }
    } finally {
      caravan.process().destroyForcibly();
    }
  }

  private static InputStream open(Socket client, int port, String path, String accept)
      throws IOException {
    client
        .getOutputStream()
        .write(
            ("GET "
                    + path
                    + " HTTP/1.1\r\nHost: 127.0.0.1:"
                    + port
                    + "\r\nAccept: "
                    + accept
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
    return client.getInputStream();
  }

  private static String head(int port, String path, String accept) throws IOException {
    try (Socket client = new Socket("127.0.0.1", port)) {
      client.setSoTimeout(10_000);
      return RawHttp.readHead(open(client, port, path, accept));
    }
  }
}
