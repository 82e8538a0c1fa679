package dev.caravan.gateway;

import static dev.caravan.gateway.GatewayTestSupport.camel;
import static dev.caravan.gateway.GatewayTestSupport.load;
import static dev.caravan.gateway.GatewayTestSupport.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventConstants;
import dev.caravan.kjob.kubernetes.MockCluster;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubernetes-events gateway against fabric8's mock API server in CRUD mode, a new one per test
 * (a watch starts with every Event that exists, so none may be left from another test).
 */
class KubernetesEventsGatewayTest {

  @RegisterExtension final MockCluster cluster = new MockCluster();

  @TempDir Path dir;

  private CamelContext context;
  private KubernetesClient client;

  @BeforeEach
  void clientOfTheCluster() {
    client = cluster.client();
  }

  @AfterEach
  void stop() {
    if (context != null) {
      context.stop();
    }
  }

  private List<Exchange> startGateway() throws Exception {
    Properties properties = new Properties();
    properties.setProperty("caravan.kubernetes.events.enabled", "true");
    properties.setProperty("caravan.kubernetes.events.namespace", "test");
    context = camel(dir, "k8s", properties);
    // camel-kubernetes autowires the single KubernetesClient of the registry
    context.getRegistry().bind("kubernetesClient", cluster.server().createClient());
    load(context, "classpath:routes/gateways/kubernetes-events.yaml");
    // one run at a time: runs in flight together may end in any order, and the tests check the
    // order in which the gateway published its events
    List<Exchange> received = subscribe(context, "event:kubernetes?concurrency=1");
    context.start();
    awaitWatch(received);
    return received;
  }

  /**
   * Waits until the consumer's watch is open on the server, by repeating an Event about another
   * object until one arrives (the mock server registers a watch a little after it answers the
   * request).
   */
  private void awaitWatch(List<Exchange> received) {
    String name = "probe-" + UUID.randomUUID();
    client.events().v1().events().resource(event(name, "Probe", "Node", "probe", 1)).create();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              client
                  .events()
                  .v1()
                  .events()
                  .withName(name)
                  .edit(
                      e ->
                          new EventBuilder(e)
                              .withDeprecatedCount(e.getDeprecatedCount() + 1)
                              .build());
              return received.stream().anyMatch(run -> "k8s:Probe".equals(type(run)));
            });
  }

  private static String type(Exchange run) {
    return run.getMessage().getHeader(EventConstants.EVENT_TYPE, String.class);
  }

  /** The gateway's events about the pod web-1 (the probe's are left out). */
  private static List<Exchange> aboutWeb1(List<Exchange> received) {
    return received.stream()
        .filter(run -> "Pod/web-1".equals(run.getMessage().getHeader(EventConstants.EVENT_SUBJECT)))
        .toList();
  }

  private static Event backOff(String name, int count) {
    return event(name, "BackOff", "Pod", "web-1", count);
  }

  private static Event event(String name, String reason, String kind, String object, int count) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("test")
        .endMetadata()
        .withReason(reason)
        .withType("Warning")
        .withNote("Back-off restarting failed container")
        .withNewRegarding()
        .withKind(kind)
        .withName(object)
        .withNamespace("test")
        .endRegarding()
        .withReportingController("kubelet")
        .withDeprecatedCount(count)
        .withDeprecatedLastTimestamp("2025-03-01T10:00:0" + count + "Z")
        .build();
  }

  @Test
  void aWarningInTheNamespaceBecomesAnEventAboutItsObject() throws Exception {
    List<Exchange> received = startGateway();

    Event created = client.events().v1().events().resource(backOff("web-1.17a", 1)).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> aboutWeb1(received).size() == 1);
    Exchange run = aboutWeb1(received).get(0);
    assertThat(run.getMessage().getHeaders())
        .containsEntry(EventConstants.EVENT_SOURCE, "kubernetes")
        .containsEntry(EventConstants.EVENT_TYPE, "k8s:BackOff")
        .containsEntry(EventConstants.EVENT_SUBJECT, "Pod/web-1")
        .containsEntry(EventConstants.EVENT_ID, "k8s:" + created.getMetadata().getUid() + ":1")
        .containsEntry(EventConstants.EVENT_TIME, "2025-03-01T10:00:01Z")
        .containsEntry(
            EventConstants.EVENT_LABELS,
            Map.of("namespace", "test", "type", "Warning", "count", "1"));
    assertThat(run.getMessage().getBody(Map.class))
        .containsEntry("reason", "BackOff")
        .containsEntry("note", "Back-off restarting failed container")
        .containsEntry("regarding", Map.of("kind", "Pod", "name", "web-1", "namespace", "test"));
  }

  @Test
  void aRepeatIsANewEventButAnUpdateWithTheSameCountIsNot() throws Exception {
    List<Exchange> received = startGateway();
    Event first = client.events().v1().events().resource(backOff("web-1.17b", 1)).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> aboutWeb1(received).size() == 1);

    client
        .events()
        .v1()
        .events()
        .withName("web-1.17b")
        .edit(
            event ->
                new EventBuilder(event)
                    .editMetadata()
                    .addToLabels("seen", "yes")
                    .endMetadata()
                    .build());
    client
        .events()
        .v1()
        .events()
        .withName("web-1.17b")
        .edit(event -> new EventBuilder(event).withDeprecatedCount(2).build());

    // a third Event, after both updates: once it is here, the updates have been handled
    Event third = client.events().v1().events().resource(backOff("web-1.17c", 1)).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> aboutWeb1(received).size() >= 3);
    String uid = first.getMetadata().getUid();
    assertThat(aboutWeb1(received))
        .extracting(run -> run.getMessage().getHeader(EventConstants.EVENT_ID))
        .containsExactly(
            "k8s:" + uid + ":1", "k8s:" + uid + ":2", "k8s:" + third.getMetadata().getUid() + ":1");
  }

  @Test
  void aRestartedWatchSeesTheSameEventsAgainButPublishesThemOnce() throws Exception {
    List<Exchange> received = startGateway();
    client.events().v1().events().resource(backOff("web-1.17d", 1)).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> aboutWeb1(received).size() == 1);
    context.stop();

    // same store; the new watch starts with an ADDED for every Event that exists
    List<Exchange> afterRestart = startGateway();
    Event next = client.events().v1().events().resource(backOff("web-1.17e", 1)).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> !aboutWeb1(afterRestart).isEmpty());
    assertThat(aboutWeb1(afterRestart))
        .extracting(run -> run.getMessage().getHeader(EventConstants.EVENT_ID))
        .containsExactly("k8s:" + next.getMetadata().getUid() + ":1");
  }

  @Test
  void theGatewayIsLeftOutUnlessEnabled() throws Exception {
    context = camel(dir, "k8s-off", new Properties());
    load(context, "classpath:routes/gateways/kubernetes-events.yaml");
    context.start();

    assertThat(context.getRoute("kubernetes-events")).isNull();
  }
}
