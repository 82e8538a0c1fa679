package dev.caravan.kjob.kubernetes;

import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
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

  /** A started CRUD server whose expectations come first. */
  public static KubernetesMockServer crud() {
    return start(KubernetesMixedDispatcher::new);
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
