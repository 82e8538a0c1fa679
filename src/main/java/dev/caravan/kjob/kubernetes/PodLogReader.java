package dev.caravan.kjob.kubernetes;

import dev.caravan.kjob.StepOutput;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a container's log with one GET, streamed through a {@link StepOutput} (head and tail kept,
 * the middle dropped), without holding a thread while the bytes arrive. fabric8's pod log API would
 * first get or watch the pod; the HTTP client of the same KubernetesClient (its authentication and
 * TLS settings) does not.
 */
final class PodLogReader {

  private static final Logger LOG = LoggerFactory.getLogger(PodLogReader.class);

  private final KubernetesClient client;

  PodLogReader(KubernetesClient client) {
    this.client = client;
  }

  /**
   * The log as kept by a {@link StepOutput} of {@code maxBytes}; on an error, what arrived until
   * then (a warning says why). Never fails.
   */
  CompletableFuture<String> read(String namespace, String pod, String container, int maxBytes) {
    StepOutput output = new StepOutput(maxBytes);
    HttpClient http = client.getHttpClient();
    String master = client.getConfiguration().getMasterUrl();
    String base = master.endsWith("/") ? master.substring(0, master.length() - 1) : master;
    HttpRequest request =
        http.newHttpRequestBuilder()
            .uri(
                base
                    + "/api/v1/namespaces/"
                    + namespace
                    + "/pods/"
                    + pod
                    + "/log?container="
                    + URLEncoder.encode(container, StandardCharsets.UTF_8))
            .forStreaming()
            .build();
    CompletableFuture<String> log = new CompletableFuture<>();
    http.consumeBytes(
            request, (List<ByteBuffer> buffers, AsyncBody body) -> consume(buffers, body, output))
        .whenComplete(
            (response, error) -> {
              if (error != null) {
                warn(namespace, pod, error.toString());
                log.complete(output.text());
                return;
              }
              if (!response.isSuccessful()) {
                response.body().cancel();
                warn(namespace, pod, "HTTP " + response.code());
                log.complete("");
                return;
              }
              response
                  .body()
                  .done()
                  .whenComplete(
                      (ignored, failed) -> {
                        if (failed != null) {
                          warn(namespace, pod, failed.toString());
                        }
                        log.complete(output.text());
                      });
              response.body().consume();
            });
    return log;
  }

  private static void consume(List<ByteBuffer> buffers, AsyncBody body, StepOutput output) {
    for (ByteBuffer buffer : buffers) {
      if (buffer.hasArray()) {
        output.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
      } else {
        byte[] copy = new byte[buffer.remaining()];
        buffer.get(copy);
        output.write(copy, 0, copy.length);
      }
    }
    body.consume();
  }

  private static void warn(String namespace, String pod, String why) {
    LOG.warn("Could not read the log of pod {}/{}: {}", namespace, pod, why);
  }
}
