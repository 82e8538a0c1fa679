package dev.caravan.deploy;

import static dev.caravan.deploy.Manifests.BASE;
import static dev.caravan.deploy.Manifests.K8S;
import static dev.caravan.deploy.Manifests.POSTGRES;
import static dev.caravan.deploy.Manifests.documents;
import static dev.caravan.deploy.Manifests.find;
import static dev.caravan.deploy.Manifests.maps;
import static dev.caravan.deploy.Manifests.objects;
import static dev.caravan.deploy.Manifests.ofKind;
import static dev.caravan.deploy.Manifests.string;
import static dev.caravan.deploy.Manifests.strings;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.fail;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.neverFinish;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.succeed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.deploy.Rbac.Access;
import dev.caravan.deploy.Rbac.Role;
import dev.caravan.event.EventConstants;
import dev.caravan.gateway.GatewayTestSupport;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepFailedException;
import dev.caravan.kjob.StepStatus;
import dev.caravan.kjob.kubernetes.JobLabels;
import dev.caravan.kjob.kubernetes.MockCluster;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.RunStatus;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.component.kubernetes.KubernetesConfiguration;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Least privilege, checked both ways. Caravan's Kubernetes code runs against fabric8's mock API
 * server in CRUD mode: the kjob executor (a step that succeeds, one that fails, a run whose step
 * checks out into the run's workspace claim, a run canceled as {@code POST /api/runs/{id}/cancel}
 * does it), the Kubernetes events gateway route, and the cron leader election (camel-kubernetes'
 * Lease-based cluster service, two replicas and a failover). Every API request is recorded and
 * mapped to what RBAC checks: API group, resource (with subresource), verb, namespace and name. The
 * test then asserts that the Role of {@code k8s/} allows each of them and grants nothing that none
 * of them needed.
 *
 * <p>Whose request is whose: every client handed to Caravan's code sends the User-Agent {@value
 * #CARAVAN_AGENT}; the test's own clients (the kubelet stand-in and the set-up) send {@value
 * #HARNESS_AGENT}. A request with any other User-Agent fails the test rather than going uncounted
 * (the mock server's own request log is the record, so nothing Caravan sends can bypass it).
 *
 * <p>Checked to fail: removing {@code delete} from the jobs rule of k8s/base/rbac.yaml fails it
 * with "batch jobs delete" not allowed; adding {@code get} there fails it as "granted but never
 * used"; letting the events gateway watch every namespace (an empty namespace) fails it, since a
 * Role cannot grant that cluster-wide watch; making the executor read a Job before deleting it on
 * cancel fails it with "batch jobs get" not allowed.
 */
class RbacTest {

  private static final String NAMESPACE = "test";

  /** User-Agent of every client that Caravan's code is given here. */
  static final String CARAVAN_AGENT = "caravan-under-rbac-test";

  /** User-Agent of the test's own clients: the kubelet stand-in and the set-up. */
  static final String HARNESS_AGENT = "caravan-rbac-test-harness";

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  @RegisterExtension
  final MockCluster cluster =
      new MockCluster()
          .withClient(config -> config.withUserAgent(HARNESS_AGENT))
          .withKubeletClient(config -> config.withUserAgent(HARNESS_AGENT));

  private final List<KubernetesClient> caravanClients = new CopyOnWriteArrayList<>();
  private final List<CamelContext> contexts = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopAll() {
    stopCaravan();
  }

  @Test
  @DisplayName("Caravan's API requests are exactly what the Role in k8s/ grants")
  void caravanNeedsEveryGrantOfItsRoleAndNothingElse() throws Exception {
    executorRunsStepsThatSucceedFailUseAWorkspaceAndAreCanceled();
    eventsGatewayWatchesTheNamespacesEvents();
    cronLeaderElectionCreatesRenewsAndTakesOverItsLease();
    stopCaravan();

    List<Access> used = new ArrayList<>();
    List<String> unattributed = new ArrayList<>();
    for (RecordedRequest request : drainRequests()) {
      String agent = request.getHeader("User-Agent");
      if (CARAVAN_AGENT.equals(agent)) {
        used.add(Access.of(request.getMethod(), request.getPath()));
      } else if (!HARNESS_AGENT.equals(agent)) {
        unattributed.add(request.getMethod() + " " + request.getPath() + " (" + agent + ")");
      }
    }
    assertThat(unattributed).as("requests of clients neither Caravan's nor the test's").isEmpty();
    assertThat(
            used.stream()
                .filter(access -> !NAMESPACE.equals(access.namespace()))
                .map(Access::describe)
                .distinct())
        .as("Caravan's requests outside its namespace (its Role grants nothing there)")
        .isEmpty();

    Role role = Role.of(find(objects(BASE), "Role", "caravan"));
    assertThat(used.stream().filter(access -> !role.allows(access)).map(Access::describe))
        .as("Caravan's requests that the Role does not allow")
        .isEmpty();
    // also what shows that each part did its work: a part that did nothing leaves grants unused
    assertThat(role.unused(used)).as("grants of the Role that Caravan never used").isEmpty();
  }

  @Test
  void rbacIsOneNamespacedRoleWithoutWildcards() {
    for (Path file : Manifests.yamlFiles()) {
      for (Object document : documents(file)) {
        String kind = string(document, "kind");
        assertThat(kind).as("kind in %s", file).isNotIn("ClusterRole", "ClusterRoleBinding");
        if ("Role".equals(kind)) {
          checkNoWildcards(file.toString(), document);
        }
      }
    }
    for (Path dir : List.of(K8S, BASE, POSTGRES)) {
      checkOneRole(dir.toString(), objects(dir));
    }
    Manifests.kubectl()
        .ifPresent(
            kubectl -> {
              for (Path dir : List.of(K8S, POSTGRES)) {
                List<Map<String, Object>> rendered = Manifests.render(kubectl, dir);
                checkOneRole("rendered " + dir, rendered);
                ofKind(rendered, "Role").forEach(r -> checkNoWildcards("rendered " + dir, r));
              }
            });
  }

  @Test
  void requestsMapToWhatRbacChecks() {
    String jobs = "/apis/batch/v1/namespaces/test/jobs";
    assertThat(Access.of("GET", jobs + "?labelSelector=a%3Db&resourceVersion=0"))
        .isEqualTo(new Access("batch", "jobs", "list", "test", null));
    assertThat(Access.of("GET", jobs + "?allowWatchBookmarks=true&watch=true"))
        .isEqualTo(new Access("batch", "jobs", "watch", "test", null));
    assertThat(Access.of("POST", jobs))
        .isEqualTo(new Access("batch", "jobs", "create", "test", null));
    assertThat(Access.of("DELETE", jobs + "/j-1"))
        .isEqualTo(new Access("batch", "jobs", "delete", "test", "j-1"));
    assertThat(Access.of("DELETE", jobs)).extracting(Access::verb).isEqualTo("deletecollection");
    assertThat(Access.of("PUT", jobs + "/j-1/status"))
        .isEqualTo(new Access("batch", "jobs/status", "update", "test", "j-1"));
    assertThat(Access.of("PATCH", jobs + "/j-1")).extracting(Access::verb).isEqualTo("patch");
    assertThat(Access.of("GET", "/api/v1/namespaces/test/pods/p-1/log?container=step"))
        .isEqualTo(new Access("", "pods/log", "get", "test", "p-1"));
    assertThat(Access.of("GET", "/apis/events.k8s.io/v1/events?watch=true"))
        .isEqualTo(new Access("events.k8s.io", "events", "watch", null, null));
    assertThat(Access.of("GET", "/api/v1/namespaces/test"))
        .isEqualTo(new Access("", "namespaces", "get", null, "test"));
    assertThat(Access.of("GET", "/version"))
        .isEqualTo(new Access(null, "/version", "get", null, null));
    assertThat(Access.of("GET", "/apis/batch/v1"))
        .isEqualTo(new Access(null, "/apis/batch/v1", "get", null, null));

    Role role =
        Role.of(
            Map.of(
                "rules",
                List.of(
                    Map.of(
                        "apiGroups",
                        List.of("coordination.k8s.io"),
                        "resources",
                        List.of("leases"),
                        "resourceNames",
                        List.of("caravan-cron"),
                        "verbs",
                        List.of("get")))));
    assertThat(
            role.allows(new Access("coordination.k8s.io", "leases", "get", "test", "caravan-cron")))
        .isTrue();
    assertThat(role.allows(new Access("coordination.k8s.io", "leases", "get", "test", "other")))
        .isFalse();
    assertThat(
            role.allows(new Access("coordination.k8s.io", "leases", "get", null, "caravan-cron")))
        .as("cluster-scoped")
        .isFalse();
    assertThat(role.unused(List.of()))
        .containsExactly("coordination.k8s.io leases get caravan-cron");
  }

  // (a) the kjob Kubernetes executor

  private void executorRunsStepsThatSucceedFailUseAWorkspaceAndAreCanceled() throws Exception {
    cluster.kubelet().on("ok", succeed("fine\n"));
    cluster.kubelet().on("broken", fail(3, "broken\n"));
    cluster.kubelet().on("forever", neverFinish());
    cluster.kubelet().on("build", succeed("built\n"));
    CamelContext camel = caravan("executor", new Properties());
    KjobComponent kjob = new KjobComponent();
    kjob.setKubernetesClient(caravanClient());
    kjob.setNamespace(NAMESPACE);
    kjob.setExecutor("kubernetes");
    // the checkout's host is made up: allowed, and not resolved
    kjob.setCheckoutAllowedHosts("git.example.com");
    kjob.setCheckoutAllowPrivateAddresses(true);
    camel.addComponent("kjob", kjob);
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:ok").routeId("ok").to("kjob:ok?image=busybox:1.36&script=true");
            from("direct:broken")
                .routeId("broken")
                .to("kjob:broken?image=busybox:1.36&script=exit 3");
            from("event:rbac?types=build")
                .routeId("build")
                .to(
                    "kjob:build?image=maven:3.9-eclipse-temurin-17&script=true&workspace=true"
                        + "&checkout=true&repository=RAW(https://git.example.com/octo/app.git)"
                        + "&revision=main");
            from("event:rbac?types=cancel-me")
                .routeId("to-cancel")
                .to("kjob:forever?image=busybox:1.36&script=sleep 1d");
          }
        });
    camel.start();
    ProducerTemplate producer = camel.createProducerTemplate();

    Exchange ok = producer.request("direct:ok", exchange -> {});
    assertThat(ok.getException()).isNull();
    assertThat(ok.getMessage().getBody(String.class)).isEqualTo("fine\n");

    Exchange broken = producer.request("direct:broken", exchange -> {});
    assertThat(broken.getException()).isInstanceOf(StepFailedException.class);
    assertThat(broken.getMessage().getHeader(KjobConstants.EXIT_CODE)).isEqualTo(3);

    JdbcRunStore runs = Runs.of(camel).store();
    JdbcStepJournal journal = Runs.of(camel).journal();

    // a run with a checkout into its workspace claim, which goes when the run ends
    String built = runOf(runs, producer, "build");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(runs.run(built))
                  .get()
                  .extracting(RunView::status)
                  .isEqualTo(RunStatus.SUCCEEDED);
              assertThat(
                      harness().persistentVolumeClaims().inNamespace(NAMESPACE).list().getItems())
                  .isEmpty();
            });
    assertThat(cluster.kubelet().jobs())
        .filteredOn(job -> "build".equals(job.getMetadata().getLabels().get(JobLabels.STEP)))
        .singleElement()
        .satisfies(
            job ->
                assertThat(job.getSpec().getTemplate().getSpec().getVolumes())
                    .anySatisfy(
                        volume -> assertThat(volume.getPersistentVolumeClaim()).isNotNull()));

    // a run canceled the way POST /api/runs/{id}/cancel does it
    String runId = runOf(runs, producer, "cancel-me");
    await().atMost(WAIT).until(() -> jobStarted("forever"));

    assertThat(Runs.of(camel).cancel(runId))
        .hasValueSatisfying(stopped -> assertThat(stopped).hasSize(1));

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(runs.run(runId))
                  .get()
                  .extracting(RunView::status)
                  .isEqualTo(RunStatus.CANCELED);
              assertThat(journal.steps(runId))
                  .singleElement()
                  .extracting(StepView::record)
                  .satisfies(step -> assertThat(step.status()).isEqualTo(StepStatus.CANCELED));
              assertThat(camel.getInflightRepository().size()).isZero();
            });
    camel.stop();
  }

  /** Publishes an event of the type to event:rbac; returns the id of the run it starts. */
  private static String runOf(JdbcRunStore runs, ProducerTemplate producer, String type) {
    Exchange published =
        producer.request(
            "event:rbac",
            exchange -> {
              exchange.getMessage().setHeader(EventConstants.EVENT_TYPE, type);
              exchange.getMessage().setBody("{}");
            });
    assertThat(published.getException()).isNull();
    String eventId = published.getMessage().getHeader(EventConstants.EVENT_ID, String.class);
    return await()
        .atMost(WAIT)
        .until(() -> runs.runs(null, null, eventId, 10, 0), found -> !found.isEmpty())
        .get(0)
        .id();
  }

  private boolean jobStarted(String step) {
    return harness()
        .batch()
        .v1()
        .jobs()
        .inNamespace(NAMESPACE)
        .withLabel(JobLabels.STEP, step)
        .list()
        .getItems()
        .stream()
        .anyMatch(job -> job.getStatus() != null && job.getStatus().getStartTime() != null);
  }

  // (b) the Kubernetes events gateway

  private void eventsGatewayWatchesTheNamespacesEvents() throws Exception {
    Properties properties = new Properties();
    properties.setProperty("caravan.kubernetes.events.enabled", "true");
    properties.setProperty("caravan.kubernetes.events.namespace", NAMESPACE);
    CamelContext camel = caravan("events", properties);
    // camel-kubernetes autowires the single KubernetesClient of the registry
    camel.getRegistry().bind("kubernetesClient", caravanClient());
    GatewayTestSupport.load(camel, "classpath:routes/gateways/kubernetes-events.yaml");
    List<Exchange> received = GatewayTestSupport.subscribe(camel, "event:kubernetes");
    camel.start();

    harness()
        .events()
        .v1()
        .events()
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName("web-1.rbac")
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withReason("BackOff")
                .withType("Warning")
                .withNewRegarding()
                .withKind("Pod")
                .withName("web-1")
                .withNamespace(NAMESPACE)
                .endRegarding()
                .withDeprecatedCount(1)
                .build())
        .create();
    // the watch opens a little after the route starts: repeat the Event until one arrives
    await()
        .atMost(WAIT)
        .until(
            () -> {
              harness()
                  .events()
                  .v1()
                  .events()
                  .inNamespace(NAMESPACE)
                  .withName("web-1.rbac")
                  .edit(
                      e ->
                          new EventBuilder(e)
                              .withDeprecatedCount(e.getDeprecatedCount() + 1)
                              .build());
              return received.stream()
                  .anyMatch(
                      run ->
                          "k8s:BackOff"
                              .equals(run.getMessage().getHeader(EventConstants.EVENT_TYPE)));
            });
    camel.stop();
  }

  // (c) the cron leader election

  private void cronLeaderElectionCreatesRenewsAndTakesOverItsLease() throws Exception {
    Map<String, String> server =
        Map.of("app.kubernetes.io/name", "caravan", "app.kubernetes.io/component", "server");
    MockCluster.runningPod(harness(), NAMESPACE, "replica-a", server);
    MockCluster.runningPod(harness(), NAMESPACE, "replica-b", server);
    Replica a = replica("replica-a");
    Replica b = replica("replica-b");
    a.context().start();
    b.context().start();

    await().atMost(WAIT).until(() -> a.received().size() + b.received().size() >= 2);
    String holder = leaseHolder();
    Replica leader = holder.equals(a.name()) ? a : b;
    Replica follower = leader == a ? b : a;
    assertThat(follower.received()).as("events fired by the follower").isEmpty();

    leader.context().stop();
    harness().pods().inNamespace(NAMESPACE).withName(leader.name()).delete();
    await().atMost(WAIT).until(() -> !follower.received().isEmpty());
    assertThat(leaseHolder()).isEqualTo(follower.name());
    follower.context().stop();
  }

  private String leaseHolder() {
    return harness()
        .leases()
        .inNamespace(NAMESPACE)
        .withName("caravan-cron")
        .get()
        .getSpec()
        .getHolderIdentity();
  }

  private record Replica(String name, CamelContext context, List<Exchange> received) {}

  /** One replica, named as its pod, with the Lease settings of CronSchedules (shorter times). */
  private Replica replica(String podName) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("caravan.cron.uri-prefix", "master:cron:");
    CamelContext camel = caravan(podName, properties);
    KubernetesConfiguration configuration = new KubernetesConfiguration();
    configuration.setKubernetesClient(caravanClient());
    KubernetesClusterService leaderElection = new KubernetesClusterService(configuration);
    leaderElection.setPodName(podName);
    leaderElection.setKubernetesResourceName("caravan");
    leaderElection.setKubernetesResourcesNamespace(NAMESPACE);
    leaderElection.setClusterLabels(
        Map.of("app.kubernetes.io/name", "caravan", "app.kubernetes.io/component", "server"));
    leaderElection.setLeaseDurationMillis(1000);
    leaderElection.setRenewDeadlineMillis(700);
    leaderElection.setRetryPeriodMillis(300);
    camel.addService(leaderElection);
    GatewayTestSupport.load(camel, "classpath:routes/gateways/cron.yaml");
    List<Exchange> received = GatewayTestSupport.subscribe(camel, "event:cron");
    TemplatedRouteBuilder.builder(camel, "cron-gateway")
        .routeId("cron-tick")
        .parameter("name", "tick")
        .parameter("schedule", "0/1 * * * * ?")
        .add();
    return new Replica(podName, camel, received);
  }

  // plumbing

  /** The test's own client of the mock server (User-Agent {@value #HARNESS_AGENT}). */
  private KubernetesClient harness() {
    return cluster.client();
  }

  private KubernetesClient caravanClient() {
    KubernetesClient client = cluster.newClient(config -> config.withUserAgent(CARAVAN_AGENT));
    caravanClients.add(client);
    return client;
  }

  /** A plain Camel context with an event component on an H2 file of its own. */
  private CamelContext caravan(String name, Properties properties) {
    CamelContext camel = GatewayTestSupport.camel(dir, name, properties);
    camel.getShutdownStrategy().setTimeout(5);
    contexts.add(camel);
    return camel;
  }

  private void stopCaravan() {
    contexts.forEach(CamelContext::stop);
    caravanClients.forEach(KubernetesClient::close);
  }

  private List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    RecordedRequest request;
    while ((request = cluster.server().takeRequest(200, TimeUnit.MILLISECONDS)) != null) {
      requests.add(request);
    }
    return requests;
  }

  private static void checkNoWildcards(String where, Object role) {
    for (Map<String, Object> rule : maps(role, "rules")) {
      assertThat(rule).as("rule in %s", where).doesNotContainKey("nonResourceURLs");
      for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames")) {
        assertThat(strings(rule.get(field)))
            .as("%s of a rule in %s", field, where)
            .noneMatch(value -> value.contains("*"));
      }
    }
  }

  private static void checkOneRole(String where, List<Map<String, Object>> objects) {
    assertThat(ofKind(objects, "Role"))
        .as("Roles of %s", where)
        .extracting(role -> string(role, "metadata", "name"))
        .containsExactly("caravan");
    assertThat(ofKind(objects, "RoleBinding"))
        .as("RoleBindings of %s", where)
        .extracting(binding -> string(binding, "metadata", "name"))
        .containsExactly("caravan");
    assertThat(objects)
        .extracting(o -> (String) o.get("kind"))
        .as("kinds in %s", where)
        .doesNotContain("ClusterRole", "ClusterRoleBinding");
  }
}
