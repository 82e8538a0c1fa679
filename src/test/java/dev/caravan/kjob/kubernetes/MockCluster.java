package dev.caravan.kjob.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.Dispatcher;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A mock cluster per test: fabric8's mock API server in CRUD mode (from {@link MockApiServers}), a
 * client of it for the test and a {@link KubeletStandIn} playing the Job controller and kubelet.
 *
 * <pre>{@code
 * @RegisterExtension final MockCluster cluster = new MockCluster();
 * }</pre>
 *
 * <p>After each test (after the test's own {@code @AfterEach} methods, so its Camel contexts are
 * closed by then) it closes the stand-in, the client and the server, and fails the test if the
 * stand-in's own API calls failed.
 */
public final class MockCluster implements BeforeEachCallback, AfterEachCallback {

  private final Function<Map<ServerRequest, Queue<ServerResponse>>, Dispatcher> dispatcher;
  private UnaryOperator<ConfigBuilder> clientConfig;
  private UnaryOperator<ConfigBuilder> kubeletConfig;
  private KubernetesMockServer server;
  private KubernetesClient client;
  private KubeletStandIn kubelet;

  /** A cluster whose server's expectations come first, then CRUD. */
  public MockCluster() {
    this(KubernetesMixedDispatcher::new);
  }

  /**
   * A cluster whose server dispatches with what {@code dispatcher} builds on the server's
   * expectations, e.g. a {@link KubernetesMixedDispatcher} that records or injects faults.
   */
  public MockCluster(Function<Map<ServerRequest, Queue<ServerResponse>>, Dispatcher> dispatcher) {
    this.dispatcher = dispatcher;
  }

  /** The test's client is built on the server's configuration as {@code config} changes it. */
  public MockCluster withClient(UnaryOperator<ConfigBuilder> config) {
    this.clientConfig = config;
    return this;
  }

  /**
   * The kubelet stand-in gets a client of its own built on the server's configuration as {@code
   * config} changes it (e.g. a User-Agent of its own, so that a test can tell its requests apart).
   */
  public MockCluster withKubeletClient(UnaryOperator<ConfigBuilder> config) {
    this.kubeletConfig = config;
    return this;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    server = MockApiServers.start(dispatcher);
    client = clientConfig == null ? server.createClient() : newClient(clientConfig);
    kubelet =
        kubeletConfig == null
            ? new KubeletStandIn(server)
            : new KubeletStandIn(server, newClient(kubeletConfig));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<Throwable> kubeletErrors = kubelet == null ? List.of() : kubelet.errors();
    try {
      if (kubelet != null) {
        kubelet.close();
      }
    } finally {
      try {
        if (client != null) {
          client.close();
        }
      } finally {
        if (server != null) {
          server.destroy();
        }
        kubelet = null;
        client = null;
        server = null;
      }
    }
    assertThat(kubeletErrors).as("the stand-in kubelet's own API calls").isEmpty();
  }

  /** The mock API server (for expectations and its request log). */
  public KubernetesMockServer server() {
    return started(server);
  }

  /** The test's client of the server (closed after the test). */
  public KubernetesClient client() {
    return started(client);
  }

  /** The stand-in Job controller and kubelet (closed after the test). */
  public KubeletStandIn kubelet() {
    return started(kubelet);
  }

  /**
   * A new client of the server built on its configuration as {@code config} changes it; the caller
   * closes it.
   */
  public KubernetesClient newClient(UnaryOperator<ConfigBuilder> config) {
    Config changed;
    try (KubernetesClient plain = server().createClient()) {
      changed = config.apply(new ConfigBuilder(plain.getConfiguration())).build();
    }
    return new KubernetesClientBuilder().withConfig(changed).build();
  }

  /**
   * Creates a running, ready pod (what camel-kubernetes' leader election counts as a member) with
   * the labels, through the client given.
   */
  public static void runningPod(
      KubernetesClient client, String namespace, String name, Map<String, String> labels) {
    Pod pod =
        client
            .pods()
            .inNamespace(namespace)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .addToLabels(labels)
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("caravan")
                    .withImage("caravan")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    pod.setStatus(
        new PodStatusBuilder()
            .withPhase("Running")
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .endCondition()
            .build());
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  private static <T> T started(T part) {
    if (part == null) {
      throw new IllegalStateException("the mock cluster runs during each test only");
    }
    return part;
  }
}
