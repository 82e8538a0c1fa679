package dev.caravan.kjob.kubernetes;

import io.fabric8.kubernetes.api.model.ListMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEventBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobListBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * fabric8 mock API servers in CRUD mode (plain HTTP), built by hand rather than with
 * {@code @EnableKubernetesMockClient}: that one keeps expectations in a plain HashMap, and the
 * kubelet stand-in adds log expectations while requests are being served.
 */
public final class MockApiServers {

  private MockApiServers() {}

  /**
   * Makes the first list of Caravan's Job informer in the namespace answer an empty list at
   * resourceVersion 1000, and its first watch end with an ERROR event 410 Gone after 100 ms: a step
   * can then only complete once the informer has re-listed and re-watched (through CRUD).
   */
  public static void closeFirstJobWatchWith410(KubernetesMockServer server, String namespace) {
    String jobs = "/apis/batch/v1/namespaces/" + namespace + "/jobs";
    String selector =
        "labelSelector="
            + URLEncoder.encode(
                JobLabels.MANAGED_BY + "=" + JobLabels.MANAGED_BY_VALUE, StandardCharsets.UTF_8);
    server
        .expect()
        .get()
        .withPath(jobs + "?" + selector + "&resourceVersion=0")
        .andReturn(
            200,
            new JobListBuilder()
                .withMetadata(new ListMetaBuilder().withResourceVersion("1000").build())
                .build())
        .once();
    server
        .expect()
        .get()
        .withPath(
            jobs
                + "?allowWatchBookmarks=true&"
                + selector
                + "&resourceVersion=1000&timeoutSeconds=600&watch=true")
        .andUpgradeToWebSocket()
        .open()
        .waitFor(100)
        .andEmit(
            new WatchEventBuilder()
                .withType("ERROR")
                .withObject(new StatusBuilder().withCode(410).withMessage("too old").build())
                .build())
        .done()
        .once();
  }

  /** A started server whose dispatcher is built on the server's expectations. */
  public static KubernetesMockServer start(
      Function<Map<ServerRequest, Queue<ServerResponse>>, Dispatcher> dispatcher) {
    Map<ServerRequest, Queue<ServerResponse>> expectations = new ConcurrentHashMap<>();
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            expectations,
            dispatcher.apply(expectations),
            false);
    server.init();
    return server;
  }
}
