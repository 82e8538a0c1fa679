package dev.caravan.deploy;

import static dev.caravan.deploy.Manifests.BASE;
import static dev.caravan.deploy.Manifests.K8S;
import static dev.caravan.deploy.Manifests.POSTGRES;
import static dev.caravan.deploy.Manifests.at;
import static dev.caravan.deploy.Manifests.documents;
import static dev.caravan.deploy.Manifests.find;
import static dev.caravan.deploy.Manifests.kustomization;
import static dev.caravan.deploy.Manifests.map;
import static dev.caravan.deploy.Manifests.maps;
import static dev.caravan.deploy.Manifests.named;
import static dev.caravan.deploy.Manifests.objects;
import static dev.caravan.deploy.Manifests.ofKind;
import static dev.caravan.deploy.Manifests.string;
import static dev.caravan.deploy.Manifests.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caravan.gateway.GatewayTestSupport;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.kubernetes.JobLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kustomize deployment in {@code k8s/}: every manifest parsed with SnakeYAML and checked for
 * structure (always), and the same checks on what {@code kubectl kustomize} renders where a kubectl
 * is installed ({@code .ci/run} installs Debian's kubernetes-client when none is).
 */
class ManifestsTest {

  private static final String SERVER_SELECTOR =
      "app.kubernetes.io/name=caravan,app.kubernetes.io/component=server";

  @Test
  void everyYamlFileUnderK8sParsesAndEveryObjectIsNamed() {
    List<Path> files = Manifests.yamlFiles();
    assertThat(files)
        .contains(
            K8S.resolve("kustomization.yaml"),
            BASE.resolve("kustomization.yaml"),
            POSTGRES.resolve("kustomization.yaml"),
            K8S.resolve("secret.example.yaml"));
    for (Path file : files) {
      List<Object> documents = documents(file);
      assertThat(documents).as("documents of %s", file).isNotEmpty();
      if (file.getFileName().toString().equals("kustomization.yaml")
          || file.startsWith(BASE.resolve("routes"))) {
        continue;
      }
      for (Object document : documents) {
        assertThat(string(document, "apiVersion")).as("apiVersion in %s", file).isNotBlank();
        assertThat(string(document, "kind")).as("kind in %s", file).isNotBlank();
        assertThat(string(document, "metadata", "name")).as("a name in %s", file).isNotBlank();
      }
    }
  }

  @Test
  void kustomizationsUseOnlyWhatKustomizeV2Renders() {
    for (Path dir : List.of(K8S, BASE, POSTGRES)) {
      Map<String, Object> kustomization = kustomization(dir);
      assertThat(kustomization.keySet())
          .as("fields of %s/kustomization.yaml (Debian's kubectl 1.20 knows no others)", dir)
          .isSubsetOf(Manifests.KUSTOMIZE_V2_FIELDS);
      for (String resource : strings(kustomization.get("resources"))) {
        assertThat(dir.resolve(resource))
            .as("resources are files for kustomize v2 (folders go under bases)")
            .isRegularFile();
      }
      for (String base : strings(kustomization.get("bases"))) {
        assertThat(dir.resolve(base).resolve("kustomization.yaml")).isRegularFile();
        assertThat(dir.toAbsolutePath().normalize())
            .as("an overlay below its base's folder is a cycle for kustomize")
            .matches(
                overlay -> !overlay.startsWith(dir.resolve(base).toAbsolutePath().normalize()));
      }
      for (Map<String, Object> generator : maps(kustomization, "configMapGenerator")) {
        for (String file : strings(generator.get("files"))) {
          assertThat(dir.resolve(file)).isRegularFile();
        }
      }
      List<Map<String, Object>> underlying = new ArrayList<>();
      for (String base : strings(kustomization.get("bases"))) {
        underlying.addAll(objects(dir.resolve(base).normalize()));
      }
      for (String patch : strings(kustomization.get("patchesStrategicMerge"))) {
        for (Object document : documents(dir.resolve(patch))) {
          Map<String, Object> target =
              find(underlying, string(document, "kind"), string(document, "metadata", "name"));
          for (Map<String, Object> container :
              maps(document, "spec", "template", "spec", "containers")) {
            named(
                maps(target, "spec", "template", "spec", "containers"),
                (String) container.get("name"));
          }
        }
      }
    }
  }

  @Test
  void baseHoldsTheServerAndItsIdentityButNoSecret() {
    List<Map<String, Object>> base = objects(BASE);
    assertThat(base)
        .extracting(o -> o.get("kind") + "/" + string(o, "metadata", "name"))
        .containsExactlyInAnyOrder(
            "ServiceAccount/caravan",
            "Role/caravan",
            "RoleBinding/caravan",
            "Deployment/caravan",
            "Service/caravan",
            "NetworkPolicy/caravan-steps",
            "NetworkPolicy/caravan-steps-cluster-network");
    assertThat(kustomization(BASE)).doesNotContainKey("secretGenerator");
    assertThat(strings(kustomization(K8S).get("bases"))).containsExactly("base");
    assertThat(objects(K8S)).isEqualTo(base);
  }

  @Test
  void deploymentRunsCaravanLockedDownWithProbesOnTheHealthGroups() {
    Map<String, Object> deployment = find(objects(BASE), "Deployment", "caravan");
    checkServer(deployment);
    assertThat(at(deployment, "spec", "replicas"))
        .as("the embedded H2 on an emptyDir is one replica's")
        .isEqualTo(1);
  }

  @Test
  void roleBindingBindsTheRoleToTheServiceAccount() {
    checkIdentity(objects(BASE));
  }

  @Test
  void serviceSelectsTheServerPodsOnTheirHttpPort() {
    List<Map<String, Object>> base = objects(BASE);
    Map<String, Object> service = find(base, "Service", "caravan");
    Map<String, Object> pod = map(find(base, "Deployment", "caravan"), "spec", "template");
    assertThat(map(service, "spec", "selector"))
        .isEqualTo(map(find(base, "Deployment", "caravan"), "spec", "selector", "matchLabels"));
    assertThat(map(pod, "metadata", "labels"))
        .containsAllEntriesOf(map(service, "spec", "selector"));
    Map<String, Object> port = named(maps(service, "spec", "ports"), "http");
    assertThat(port.get("targetPort")).isEqualTo("http");
  }

  @Test
  void theServerAnswersToTheServicesInClusterNames() {
    List<Map<String, Object>> base = objects(BASE);
    String service = string(find(base, "Service", "caravan"), "metadata", "name");
    Map<String, Object> caravan =
        named(
            maps(find(base, "Deployment", "caravan"), "spec", "template", "spec", "containers"),
            "caravan");
    List<String> names = maps(caravan, "env").stream().map(v -> (String) v.get("name")).toList();
    assertThat(names.indexOf("POD_NAMESPACE"))
        .as("$(POD_NAMESPACE) expands only in variables defined after it")
        .isLessThan(names.indexOf("CARAVAN_ALLOWED_HOSTS"));
    assertThat(value(env(caravan), "CARAVAN_ALLOWED_HOSTS").split(","))
        .containsExactly(
            service,
            service + ".$(POD_NAMESPACE).svc",
            service + ".$(POD_NAMESPACE).svc.cluster.local");
  }

  @Test
  void cronLeaderCandidatesAreCaravanServerPodsOnly() {
    Map<String, String> selector = labels(SERVER_SELECTOR);
    Map<String, Object> server =
        map(find(objects(BASE), "Deployment", "caravan"), "spec", "template", "metadata", "labels");
    assertThat(server).containsAllEntriesOf(selector);
    Map<String, Object> postgres =
        map(
            find(objects(POSTGRES), "StatefulSet", "caravan-postgres"),
            "spec",
            "template",
            "metadata",
            "labels");
    assertThat(matches(selector, postgres)).as("PostgreSQL's pod is a candidate").isFalse();
    Map<String, Object> stepPod =
        Map.of(
            JobLabels.MANAGED_BY,
            JobLabels.MANAGED_BY_VALUE,
            JobLabels.RUN,
            "r",
            JobLabels.STEP,
            "s",
            JobLabels.ATTEMPT,
            "1",
            JobLabels.JOB_NAME,
            "s-1");
    assertThat(matches(selector, stepPod)).as("a step's pod is a candidate").isFalse();
  }

  @Test
  void stepPodsGetNoIngressAndReachOnlyDnsAndPublicAddressesUnlessLabelledForTheCluster() {
    checkStepNetwork(objects(BASE));
    checkStepNetwork(objects(POSTGRES));
  }

  @Test
  void theNetworkPolicyModelOfTheTestReadsAddressesRight() {
    assertThat(NetworkPolicies.contains("10.0.0.0/8", "10.255.1.2")).isTrue();
    assertThat(NetworkPolicies.contains("10.0.0.0/8", "11.0.0.1")).isFalse();
    assertThat(NetworkPolicies.contains("172.16.0.0/12", "172.31.255.255")).isTrue();
    assertThat(NetworkPolicies.contains("172.16.0.0/12", "172.32.0.1")).isFalse();
    assertThat(NetworkPolicies.contains("0.0.0.0/0", "8.8.8.8")).isTrue();
    assertThat(NetworkPolicies.contains("0.0.0.0/0", "2001:db8::1")).isFalse();
    assertThat(NetworkPolicies.contains("fc00::/7", "fd12:3456::1")).isTrue();
    assertThat(NetworkPolicies.contains("fc00::/7", "2001:db8::1")).isFalse();
  }

  @Test
  void secretTemplatesAreNotAppliedAndPublishNoSecretValue() {
    Map<String, Object> secrets = secretTemplate(K8S.resolve("secret.example.yaml"));
    assertThat(string(secrets, "metadata", "name")).isEqualTo("caravan-secrets");
    assertThat(secrets.get("stringData")).as("values in the template").isNull();
    assertThat(secrets).doesNotContainKey("data");

    Map<String, Object> database = secretTemplate(POSTGRES.resolve("secret.example.yaml"));
    assertThat(string(database, "metadata", "name")).isEqualTo("caravan-postgres");
    assertThat(string(database, "type")).isEqualTo("kubernetes.io/basic-auth");
    assertThat(map(database, "stringData")).containsOnlyKeys("username");

    for (Path dir : List.of(K8S, BASE, POSTGRES)) {
      assertThat(ofKind(objects(dir), "Secret")).as("Secrets applied by %s", dir).isEmpty();
      assertThat(kustomization(dir)).doesNotContainKey("secretGenerator");
    }
  }

  @Test
  void postgresOverlayRunsADatabaseAndPointsCaravanAtIt() {
    List<Map<String, Object>> overlay = objects(POSTGRES);
    assertThat(overlay)
        .extracting(o -> o.get("kind") + "/" + string(o, "metadata", "name"))
        .contains("StatefulSet/caravan-postgres", "Service/caravan-postgres");
    checkPostgres(overlay);
    Map<String, Object> patch = map(documents(POSTGRES.resolve("caravan-database.yaml")).get(0));
    assertThat(strings(kustomization(POSTGRES).get("patchesStrategicMerge")))
        .containsExactly("caravan-database.yaml", "replicas.yaml");
    checkDatabaseEnv(env(named(maps(patch, "spec", "template", "spec", "containers"), "caravan")));
    checkDatabaseFiles(maps(patch, "spec", "template", "spec", "volumes"));
  }

  @Test
  void postgresOverlayRunsTwoSpreadReplicasThatADisruptionKeepsOneOf() {
    Map<String, Object> patch = map(documents(POSTGRES.resolve("replicas.yaml")).get(0));
    Map<String, Object> budget = map(documents(POSTGRES.resolve("disruption-budget.yaml")).get(0));
    assertThat(string(budget, "kind")).isEqualTo("PodDisruptionBudget");
    assertThat(strings(kustomization(POSTGRES).get("resources")))
        .contains("disruption-budget.yaml");
    checkReplicas(patch, budget, objects(POSTGRES));
  }

  @Test
  void exampleRoutesOfTheConfigMapLoadInCamel(@TempDir Path dir) throws Exception {
    List<Path> routeFiles;
    try (Stream<Path> files = Files.list(BASE.resolve("routes"))) {
      routeFiles = files.sorted().toList();
    }
    Map<String, Object> generator =
        named(maps(kustomization(BASE), "configMapGenerator"), "caravan-routes");
    assertThat(strings(generator.get("files")))
        .containsExactlyInAnyOrderElementsOf(
            routeFiles.stream().map(f -> BASE.relativize(f).toString()).toList());

    CamelContext camel = GatewayTestSupport.camel(dir, "routes", new Properties());
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    camel.addComponent("kjob", kjob);
    try {
      for (Path file : routeFiles) {
        GatewayTestSupport.load(camel, "file:" + file.toAbsolutePath());
      }
      camel.start();
      assertThat(camel.getRoutes()).isNotEmpty();
      assertThat(camel.getRouteController().getRouteStatus("example-pipeline"))
          .isEqualTo(ServiceStatus.Started);
    } finally {
      camel.stop();
    }
  }

  @Test
  void imageRunsAsTheUserAndPortTheDeploymentExpects() throws IOException {
    List<String> lines =
        Files.readAllLines(Path.of("Dockerfile")).stream()
            .map(String::strip)
            .filter(line -> !line.startsWith("#") && !line.isEmpty())
            .toList();
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms).hasSize(2);
    assertThat(froms.get(0)).startsWith("FROM maven:3.9-eclipse-temurin-17 ");
    assertThat(froms.get(1)).isEqualTo("FROM eclipse-temurin:17-jre");
    Map<String, Object> pod =
        map(find(objects(BASE), "Deployment", "caravan"), "spec", "template", "spec");
    Object uid = at(pod, "securityContext", "runAsUser");
    assertThat(lines).contains("USER " + uid + ":" + at(pod, "securityContext", "runAsGroup"));
    Object port =
        named(maps(named(maps(pod, "containers"), "caravan"), "ports"), "http")
            .get("containerPort");
    assertThat(lines).contains("EXPOSE " + port);
    assertThat(lines.get(lines.size() - 1)).startsWith("ENTRYPOINT [\"java\"");
  }

  @Test
  void kubectlRendersTheBaseAndTheOverlayThatPassTheSameChecks() {
    Optional<String> kubectl = Manifests.kubectl();
    assumeTrue(
        kubectl.isPresent(),
        "no kubectl on the PATH (or in $KUBECTL): the manifests were checked as written only");

    List<Map<String, Object>> base = Manifests.render(kubectl.get(), K8S);
    assertThat(base)
        .extracting(o -> (String) o.get("kind"))
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Deployment",
            "Service",
            "NetworkPolicy",
            "NetworkPolicy");
    checkRendered(base);
    assertThat(at(find(base, "Deployment", "caravan"), "spec", "replicas"))
        .as("the embedded H2 on an emptyDir is one replica's")
        .isEqualTo(1);
    assertThat(find(base, "Role", "caravan"))
        .as("the Role as rendered and as written")
        .isEqualTo(find(objects(BASE), "Role", "caravan"));

    List<Map<String, Object>> overlay = Manifests.render(kubectl.get(), POSTGRES);
    assertThat(overlay)
        .extracting(o -> (String) o.get("kind"))
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Deployment",
            "Service",
            "Service",
            "StatefulSet",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "NetworkPolicy");
    checkRendered(overlay);
    checkPostgres(overlay);
    checkReplicas(
        find(overlay, "Deployment", "caravan"),
        find(overlay, "PodDisruptionBudget", "caravan"),
        overlay);
    Map<String, Object> server = find(overlay, "Deployment", "caravan");
    checkDatabaseEnv(env(named(maps(server, "spec", "template", "spec", "containers"), "caravan")));
    checkDatabaseFiles(maps(server, "spec", "template", "spec", "volumes"));
    Map<String, Object> postgres =
        named(
            maps(
                find(overlay, "StatefulSet", "caravan-postgres"),
                "spec",
                "template",
                "spec",
                "containers"),
            "postgres");
    assertThat(postgres.get("image")).isEqualTo("postgres:16");
  }

  // checks shared by the files as written and as rendered

  private static void checkRendered(List<Map<String, Object>> objects) {
    Map<String, Object> server = find(objects, "Deployment", "caravan");
    checkServer(server);
    checkIdentity(objects);
    Map<String, Object> container =
        named(maps(server, "spec", "template", "spec", "containers"), "caravan");
    assertThat(container.get("image")).isEqualTo("caravan:0.1.0");
    String routes =
        string(
            named(maps(server, "spec", "template", "spec", "volumes"), "routes"),
            "configMap",
            "name");
    Map<String, Object> configMap = find(objects, "ConfigMap", routes);
    assertThat(map(configMap, "data")).containsKey("example-pipeline.yaml");
    assertThat(ofKind(objects, "Secret")).isEmpty();
    checkStepNetwork(objects);
  }

  /**
   * The step pods' NetworkPolicies: a step (labelled as kjob labels its pods) gets no ingress and
   * egress to DNS and public addresses only, neither Caravan's Service nor the API server nor a
   * node's or the cloud's metadata address; with the cluster-network label it may reach those too.
   * Caravan's own pod and PostgreSQL's are selected by none of them.
   */
  private static void checkStepNetwork(List<Map<String, Object>> objects) {
    Map<String, Object> step = new HashMap<>();
    step.put(JobLabels.MANAGED_BY, JobLabels.MANAGED_BY_VALUE);
    step.put(JobLabels.RUN, "r");
    step.put(JobLabels.STEP, "s");
    step.put(JobLabels.ATTEMPT, "1");
    step.put(JobLabels.JOB_NAME, "s-1");
    Map<String, Object> clusterStep = new HashMap<>(step);
    clusterStep.put(JobLabels.CLUSTER_NETWORK, JobLabels.CLUSTER_NETWORK_VALUE);
    Map<String, Object> server =
        map(find(objects, "Deployment", "caravan"), "spec", "template", "metadata", "labels");
    assertThat(NetworkPolicies.selecting(objects, server))
        .as("policies of Caravan's pod")
        .isEmpty();
    for (Map<String, Object> statefulSet : ofKind(objects, "StatefulSet")) {
      assertThat(
              NetworkPolicies.selecting(
                  objects, map(statefulSet, "spec", "template", "metadata", "labels")))
          .as("policies of %s", string(statefulSet, "metadata", "name"))
          .isEmpty();
    }

    List<Map<String, Object>> stepPolicies = NetworkPolicies.selecting(objects, step);
    assertThat(NetworkPolicies.names(stepPolicies)).containsExactly("caravan-steps");
    assertThat(NetworkPolicies.anyIngress(stepPolicies)).as("ingress to a step").isFalse();
    // Caravan's Service, the API server's Service and endpoints, pods, nodes, cloud metadata
    for (String inside :
        List.of(
            "10.96.0.1",
            "10.244.3.7",
            "172.20.0.10",
            "192.168.49.2",
            "100.64.0.5",
            "169.254.169.254",
            "fd00:10:96::1",
            "fe80::1")) {
      for (int port : List.of(80, 443, 6443, 8080, 5432)) {
        assertThat(NetworkPolicies.egress(stepPolicies, inside, port, "TCP"))
            .as("a step reaches %s:%d", inside, port)
            .isFalse();
      }
    }
    for (String outside : List.of("140.82.112.3", "1.1.1.1", "2606:4700::1111")) {
      assertThat(NetworkPolicies.egress(stepPolicies, outside, 443, "TCP"))
          .as("a step reaches %s:443", outside)
          .isTrue();
    }
    for (String resolver : List.of("10.96.0.10", "169.254.20.10")) {
      for (String protocol : List.of("UDP", "TCP")) {
        assertThat(NetworkPolicies.egress(stepPolicies, resolver, 53, protocol))
            .as("a step asks the resolver %s over %s", resolver, protocol)
            .isTrue();
      }
    }

    List<Map<String, Object>> clusterPolicies = NetworkPolicies.selecting(objects, clusterStep);
    assertThat(NetworkPolicies.names(clusterPolicies))
        .containsExactlyInAnyOrder("caravan-steps", "caravan-steps-cluster-network");
    assertThat(NetworkPolicies.anyIngress(clusterPolicies)).as("ingress to a step").isFalse();
    assertThat(NetworkPolicies.egress(clusterPolicies, "10.96.0.1", 443, "TCP")).isTrue();
    assertThat(NetworkPolicies.egress(clusterPolicies, "10.244.3.7", 8080, "TCP")).isTrue();
  }

  private static void checkServer(Map<String, Object> deployment) {
    assertThat((Integer) at(deployment, "spec", "replicas")).isPositive();
    Map<String, Object> template = map(deployment, "spec", "template");
    Map<String, Object> pod = map(template, "spec");
    assertThat(map(template, "metadata", "labels"))
        .containsAllEntriesOf(map(deployment, "spec", "selector", "matchLabels"));
    assertThat(pod.get("serviceAccountName")).isEqualTo("caravan");
    assertThat(pod.get("automountServiceAccountToken")).isNotEqualTo(false);
    assertThat(pod.get("enableServiceLinks"))
        .as("service links would set CARAVAN_PORT=tcp://... from the Service caravan")
        .isEqualTo(false);
    assertThat((Integer) pod.get("terminationGracePeriodSeconds"))
        .as("longer than Camel's 45 s shutdown timeout")
        .isGreaterThan(45);
    Map<String, Object> podSecurity = map(pod, "securityContext");
    assertThat(podSecurity)
        .containsEntry("runAsNonRoot", true)
        .containsEntry("runAsUser", 10001)
        .containsEntry("fsGroup", 10001);
    assertThat(string(podSecurity, "seccompProfile", "type")).isEqualTo("RuntimeDefault");

    List<Map<String, Object>> containers = maps(pod, "containers");
    assertThat(containers).hasSize(1);
    Map<String, Object> caravan = named(containers, "caravan");
    assertThat(string(caravan, "image")).startsWith("caravan");
    Map<String, Object> security = map(caravan, "securityContext");
    assertThat(security)
        .containsEntry("runAsNonRoot", true)
        .containsEntry("readOnlyRootFilesystem", true)
        .containsEntry("allowPrivilegeEscalation", false);
    assertThat(strings(at(security, "capabilities", "drop"))).containsExactly("ALL");
    assertThat(string(security, "seccompProfile", "type")).isEqualTo("RuntimeDefault");

    Map<String, Object> http = named(maps(caravan, "ports"), "http");
    assertThat(http.get("containerPort")).isEqualTo(8080);
    checkProbe(caravan, "livenessProbe", "/actuator/health/liveness");
    checkProbe(caravan, "readinessProbe", "/actuator/health/readiness");
    checkProbe(caravan, "startupProbe", "/actuator/health/liveness");

    for (String kind : List.of("requests", "limits")) {
      assertThat(map(caravan, "resources", kind)).as(kind).containsKeys("cpu", "memory");
    }

    Map<String, Map<String, Object>> env = env(caravan);
    assertThat(value(env, "CARAVAN_EXECUTOR")).isEqualTo("kubernetes");
    assertThat(value(env, "CARAVAN_BIND_ADDRESS")).isEqualTo("0.0.0.0");
    assertThat(value(env, "CARAVAN_PORT")).isEqualTo("8080");
    assertThat(value(env, "CARAVAN_CRON_POD_SELECTOR")).isEqualTo(SERVER_SELECTOR);
    assertThat(map(template, "metadata", "labels"))
        .containsAllEntriesOf(labels(value(env, "CARAVAN_CRON_POD_SELECTOR")));
    assertThat(string(env.get("POD_NAMESPACE"), "valueFrom", "fieldRef", "fieldPath"))
        .isEqualTo("metadata.namespace");
    for (String namespace :
        List.of(
            "CAMEL_COMPONENT_KJOB_NAMESPACE",
            "CARAVAN_CRON_LEASE_NAMESPACE",
            "CARAVAN_KUBERNETES_EVENTS_NAMESPACE")) {
      assertThat(value(env, namespace))
          .as("%s: the Role only applies in Caravan's namespace", namespace)
          .isEqualTo("$(POD_NAMESPACE)");
    }
    // secrets are files, never environment variables
    assertThat(caravan).doesNotContainKey("envFrom");
    assertThat(env.values())
        .noneMatch(variable -> at(variable, "valueFrom", "secretKeyRef") != null);

    Map<String, Map<String, Object>> volumes = new HashMap<>();
    maps(pod, "volumes").forEach(v -> volumes.put((String) v.get("name"), v));
    Map<String, Map<String, Object>> mounts = new HashMap<>();
    for (Map<String, Object> mount : maps(caravan, "volumeMounts")) {
      assertThat(volumes).as("volumes").containsKey((String) mount.get("name"));
      mounts.put((String) mount.get("mountPath"), mount);
    }
    checkWritableEmptyDir(mounts, volumes, "/tmp");
    checkWritableEmptyDir(mounts, volumes, value(env, "CARAVAN_DATA_DIR"));
    Map<String, Object> routes = mounts.get(value(env, "CARAVAN_ROUTES_DIR"));
    assertThat(routes).as("the mount of CARAVAN_ROUTES_DIR").isNotNull();
    assertThat(routes.get("readOnly")).isEqualTo(true);
    assertThat(string(volumes.get(routes.get("name")), "configMap", "name"))
        .matches("caravan-routes(-[a-z0-9]{10})?");
    checkSecretFiles(mounts.get(value(env, "CARAVAN_SECRETS_DIR")), volumes);
  }

  /**
   * The Secret caravan-secrets as files at CARAVAN_SECRETS_DIR (Spring Boot's configtree), readable
   * by Caravan's group only; caravan.api.token named on its own, so that the volume, and the pod,
   * cannot start without it.
   */
  private static List<Map<String, Object>> checkSecretFiles(
      Map<String, Object> mount, Map<String, Map<String, Object>> volumes) {
    assertThat(mount).as("the mount of CARAVAN_SECRETS_DIR").isNotNull();
    assertThat(mount.get("readOnly")).isEqualTo(true);
    Map<String, Object> projected = map(volumes.get(mount.get("name")), "projected");
    assertThat(projected.get("defaultMode")).as("0440").isEqualTo(0440);
    List<Map<String, Object>> sources = maps(projected, "sources");
    assertThat(sources)
        .anySatisfy(
            source -> {
              assertThat(string(source, "secret", "name")).isEqualTo("caravan-secrets");
              assertThat(at(source, "secret", "items")).as("every key").isNull();
              assertThat(at(source, "secret", "optional")).isNotEqualTo(true);
            })
        .anySatisfy(
            source -> {
              assertThat(string(source, "secret", "name")).isEqualTo("caravan-secrets");
              assertThat(at(source, "secret", "optional")).isNotEqualTo(true);
              assertThat(maps(source, "secret", "items"))
                  .singleElement()
                  .satisfies(
                      item ->
                          assertThat(item)
                              .containsEntry("key", "caravan.api.token")
                              .containsEntry("path", "caravan.api.token"));
            });
    return sources;
  }

  private static void checkIdentity(List<Map<String, Object>> objects) {
    find(objects, "ServiceAccount", "caravan");
    find(objects, "Role", "caravan");
    Map<String, Object> binding = find(objects, "RoleBinding", "caravan");
    assertThat(map(binding, "roleRef"))
        .containsEntry("apiGroup", "rbac.authorization.k8s.io")
        .containsEntry("kind", "Role")
        .containsEntry("name", "caravan");
    assertThat(maps(binding, "subjects"))
        .singleElement()
        .satisfies(
            subject -> {
              assertThat(subject)
                  .containsEntry("kind", "ServiceAccount")
                  .containsEntry("name", "caravan");
              // without a namespace the subject is the ServiceAccount of the binding's namespace
              assertThat(subject).doesNotContainKey("namespace");
            });
  }

  /**
   * Several server replicas that a rollout never takes below their number, spread over nodes and
   * zones, and a disruption budget over the server pods alone that keeps one of them.
   */
  private static void checkReplicas(
      Map<String, Object> deployment,
      Map<String, Object> budget,
      List<Map<String, Object>> objects) {
    Map<String, String> server = labels(SERVER_SELECTOR);
    int replicas = (Integer) at(deployment, "spec", "replicas");
    assertThat(replicas).isEqualTo(2);
    assertThat(map(deployment, "spec", "strategy", "rollingUpdate"))
        .containsEntry("maxUnavailable", 0)
        .containsEntry("maxSurge", 1);
    List<Map<String, Object>> spread =
        maps(deployment, "spec", "template", "spec", "topologySpreadConstraints");
    assertThat(spread)
        .extracting(c -> (String) c.get("topologyKey"))
        .containsExactly("kubernetes.io/hostname", "topology.kubernetes.io/zone");
    for (Map<String, Object> constraint : spread) {
      assertThat(constraint).containsEntry("maxSkew", 1);
      // a cluster of one node still runs both
      assertThat(constraint).containsEntry("whenUnsatisfiable", "ScheduleAnyway");
      assertThat(map(constraint, "labelSelector", "matchLabels")).isEqualTo(server);
    }

    assertThat(string(budget, "apiVersion")).isEqualTo("policy/v1");
    assertThat(map(budget, "spec", "selector", "matchLabels")).isEqualTo(server);
    assertThat((Integer) at(budget, "spec", "minAvailable")).isPositive().isLessThan(replicas);
    Map<String, Object> postgres =
        map(
            find(objects, "StatefulSet", "caravan-postgres"),
            "spec",
            "template",
            "metadata",
            "labels");
    assertThat(matches(server, postgres)).as("the budget covers PostgreSQL's pod").isFalse();
  }

  private static void checkPostgres(List<Map<String, Object>> objects) {
    Map<String, Object> statefulSet = find(objects, "StatefulSet", "caravan-postgres");
    Map<String, Object> service = find(objects, "Service", "caravan-postgres");
    assertThat(string(statefulSet, "spec", "serviceName")).isEqualTo("caravan-postgres");
    assertThat(at(statefulSet, "spec", "replicas")).isEqualTo(1);
    Map<String, Object> template = map(statefulSet, "spec", "template");
    assertThat(map(template, "metadata", "labels"))
        .containsAllEntriesOf(map(service, "spec", "selector"))
        .containsAllEntriesOf(map(statefulSet, "spec", "selector", "matchLabels"));
    assertThat(named(maps(service, "spec", "ports"), "postgres").get("port")).isEqualTo(5432);
    Map<String, Object> pod = map(template, "spec");
    assertThat(map(pod, "securityContext")).containsEntry("runAsNonRoot", true);
    assertThat(pod.get("automountServiceAccountToken")).isEqualTo(false);
    Map<String, Object> postgres = named(maps(pod, "containers"), "postgres");
    assertThat(map(postgres, "securityContext"))
        .containsEntry("readOnlyRootFilesystem", true)
        .containsEntry("allowPrivilegeEscalation", false);
    for (String kind : List.of("requests", "limits")) {
      assertThat(map(postgres, "resources", kind)).as(kind).containsKeys("cpu", "memory");
    }
    Map<String, Map<String, Object>> env = env(postgres);
    assertThat(value(env, "POSTGRES_DB")).isEqualTo("caravan");
    checkFromSecret(env, "POSTGRES_USER", "caravan-postgres", "username");
    checkFromSecret(env, "POSTGRES_PASSWORD", "caravan-postgres", "password");
    Map<String, Object> data = named(maps(postgres, "volumeMounts"), "data");
    assertThat(value(env, "PGDATA")).startsWith(data.get("mountPath") + "/");
    assertThat(maps(statefulSet, "spec", "volumeClaimTemplates"))
        .singleElement()
        .satisfies(claim -> assertThat(string(claim, "metadata", "name")).isEqualTo("data"));
  }

  private static void checkDatabaseEnv(Map<String, Map<String, Object>> env) {
    assertThat(value(env, "CARAVAN_DB_URL"))
        .isEqualTo("jdbc:postgresql://caravan-postgres:5432/caravan");
    assertThat(env).doesNotContainKeys("CARAVAN_DB_USER", "CARAVAN_DB_PASSWORD");
  }

  /** The database credentials as the secret files spring.datasource.username and .password. */
  private static void checkDatabaseFiles(List<Map<String, Object>> podVolumes) {
    Map<String, Map<String, Object>> volumes = new HashMap<>();
    podVolumes.forEach(v -> volumes.put((String) v.get("name"), v));
    List<Map<String, Object>> sources =
        checkSecretFiles(Map.of("name", "secrets", "readOnly", true), volumes);
    assertThat(sources)
        .anySatisfy(
            source -> {
              assertThat(string(source, "secret", "name")).isEqualTo("caravan-postgres");
              assertThat(maps(source, "secret", "items"))
                  .extracting(item -> item.get("key") + "->" + item.get("path"))
                  .containsExactlyInAnyOrder(
                      "username->spring.datasource.username",
                      "password->spring.datasource.password");
            });
  }

  private static void checkFromSecret(
      Map<String, Map<String, Object>> env, String variable, String secret, String key) {
    assertThat(env).as("env").containsKey(variable);
    assertThat(map(env.get(variable), "valueFrom", "secretKeyRef"))
        .as("%s from the Secret", variable)
        .containsEntry("name", secret)
        .containsEntry("key", key)
        .doesNotContainEntry("optional", true);
  }

  private static void checkProbe(Map<String, Object> container, String probe, String path) {
    Map<String, Object> get = map(container, probe, "httpGet");
    assertThat(get.get("path")).as(probe).isEqualTo(path);
    Object port = get.get("port");
    Object resolved =
        port instanceof String name
            ? named(maps(container, "ports"), name).get("containerPort")
            : port;
    assertThat(resolved).as("port of the %s", probe).isEqualTo(8080);
  }

  private static void checkWritableEmptyDir(
      Map<String, Map<String, Object>> mounts,
      Map<String, Map<String, Object>> volumes,
      String path) {
    Map<String, Object> mount = mounts.get(path);
    assertThat(mount).as("a volume at %s", path).isNotNull();
    assertThat(mount.get("readOnly")).as("%s read-only", path).isNotEqualTo(true);
    assertThat(volumes.get(mount.get("name"))).as("volume at %s", path).containsKey("emptyDir");
  }

  private static Map<String, Object> secretTemplate(Path file) {
    List<Object> documents = documents(file);
    assertThat(documents).hasSize(1);
    Map<String, Object> secret = map(documents.get(0));
    assertThat(secret.get("kind")).isEqualTo("Secret");
    for (Path dir : List.of(K8S, BASE, POSTGRES)) {
      Map<String, Object> kustomization = kustomization(dir);
      assertThat(strings(kustomization.get("resources")))
          .as("resources of %s", dir)
          .noneMatch(resource -> dir.resolve(resource).normalize().equals(file.normalize()));
    }
    return secret;
  }

  private static Map<String, Map<String, Object>> env(Map<String, Object> container) {
    Map<String, Map<String, Object>> env = new HashMap<>();
    for (Map<String, Object> variable : maps(container, "env")) {
      assertThat(env.put((String) variable.get("name"), variable))
          .as("env %s defined twice", variable.get("name"))
          .isNull();
    }
    return env;
  }

  private static String value(Map<String, Map<String, Object>> env, String name) {
    assertThat(env).as("env").containsKey(name);
    return string(env.get(name), "value");
  }

  /** {@code a=b,c=d} as a map. */
  private static Map<String, String> labels(String selector) {
    Map<String, String> labels = new HashMap<>();
    for (String pair : selector.split(",")) {
      String[] keyValue = pair.split("=", 2);
      labels.put(keyValue[0].strip(), keyValue[1].strip());
    }
    return labels;
  }

  private static boolean matches(Map<String, String> selector, Map<String, Object> labels) {
    return selector.entrySet().stream()
        .allMatch(e -> e.getValue().equals(String.valueOf(labels.get(e.getKey()))));
  }
}
