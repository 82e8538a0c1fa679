package dev.caravan.gateway;

import static dev.caravan.gateway.GatewayTestSupport.camel;
import static dev.caravan.gateway.GatewayTestSupport.load;
import static dev.caravan.gateway.GatewayTestSupport.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventConstants;
import dev.caravan.kjob.kubernetes.MockCluster;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.component.kubernetes.KubernetesConfiguration;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas of the cron gateway share one Kubernetes Lease through camel-kubernetes' cluster
 * service (fabric8's mock API server in CRUD mode): only the leader fires.
 */
class CronLeaderElectionTest {

  @RegisterExtension final MockCluster cluster = new MockCluster();

  @TempDir Path dir;

  private final List<CamelContext> replicas = new ArrayList<>();

  @AfterEach
  void stop() {
    replicas.forEach(CamelContext::stop);
  }

  /** One replica: its own Camel context, event store and Kubernetes client, named as its pod. */
  private record Replica(String name, CamelContext context, List<Exchange> received) {}

  private Replica replica(String podName) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("caravan.cron.uri-prefix", "master:cron:");
    CamelContext context = camel(dir, podName, properties);

    KubernetesConfiguration configuration = new KubernetesConfiguration();
    // its own client: the cluster service closes it when it stops
    configuration.setKubernetesClient(cluster.server().createClient());
    KubernetesClusterService leaderElection = new KubernetesClusterService(configuration);
    leaderElection.setPodName(podName);
    leaderElection.setKubernetesResourceName("caravan");
    leaderElection.setClusterLabels(Map.of("app", "caravan"));
    leaderElection.setLeaseDurationMillis(1000);
    leaderElection.setRenewDeadlineMillis(700);
    leaderElection.setRetryPeriodMillis(300);
    context.addService(leaderElection);

    load(context, "classpath:routes/gateways/cron.yaml");
    List<Exchange> received = subscribe(context, "event:cron");
    TemplatedRouteBuilder.builder(context, "cron-gateway")
        .routeId("cron-tick")
        .parameter("name", "tick")
        .parameter("schedule", "0/1 * * * * ?")
        .add();
    replicas.add(context);
    return new Replica(podName, context, received);
  }

  @Test
  void onlyTheReplicaHoldingTheLeaseFiresAndTheOtherTakesOverWhenItsPodIsGone() throws Exception {
    KubernetesClient client = cluster.client();
    MockCluster.runningPod(client, client.getNamespace(), "replica-a", Map.of("app", "caravan"));
    MockCluster.runningPod(client, client.getNamespace(), "replica-b", Map.of("app", "caravan"));
    Replica a = replica("replica-a");
    Replica b = replica("replica-b");

    a.context().start();
    b.context().start();

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> a.received().size() + b.received().size() >= 2);
    Lease lease = client.leases().withName("caravan-cron").get();
    assertThat(lease).as("the Lease of the cron group").isNotNull();
    String holder = lease.getSpec().getHolderIdentity();
    Replica leader = holder.equals(a.name()) ? a : b;
    Replica follower = leader == a ? b : a;
    assertThat(holder).isIn(a.name(), b.name());
    assertThat(follower.received()).as("events fired by the follower").isEmpty();
    assertThat(leader.received())
        .allSatisfy(
            run ->
                assertThat(run.getMessage().getHeader(EventConstants.EVENT_TYPE))
                    .isEqualTo("cron:tick"));

    // camel-kubernetes counts a leader as valid while its pod is Running and Ready (it does not
    // look at the Lease's renew time): the follower takes over once the leader's pod is gone.
    leader.context().stop();
    client.pods().withName(leader.name()).delete();
    await().atMost(Duration.ofSeconds(15)).until(() -> !follower.received().isEmpty());
    assertThat(client.leases().withName("caravan-cron").get().getSpec().getHolderIdentity())
        .isEqualTo(follower.name());
  }
}
