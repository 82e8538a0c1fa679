package dev.caravan.kjob.kubernetes;

import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.exceedDeadline;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.fail;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.failInit;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.neverFinish;
import static dev.caravan.kjob.kubernetes.KubeletStandIn.Outcome.succeed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.caravan.LogCapture;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepCanceledException;
import dev.caravan.kjob.StepEvent;
import dev.caravan.kjob.StepEvents;
import dev.caravan.kjob.StepExecutors;
import dev.caravan.kjob.StepFailedException;
import dev.caravan.kjob.StepStatus;
import dev.caravan.kjob.StepTimeoutException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Kubernetes executor of {@code kjob} against fabric8's mock API server in CRUD mode, with
 * {@link KubeletStandIn} playing the Job controller and kubelet.
 *
 * <p>The mock server comes from {@link MockCluster} rather than
 * {@code @EnableKubernetesMockClient}: that extension keeps expectations in a plain {@code HashMap}
 * that every request reads, and the stand-in adds a log expectation per pod while requests are in
 * flight (a resize during a read can hide an expectation). The same server on a {@code
 * ConcurrentHashMap} avoids that.
 */
class KubernetesExecutorTest {

  private static final String NAMESPACE = "test";
  private static final String KUBERNETES = "executor=kubernetes&image=busybox:1.36";
  private static final String JOBS_PATH = "/apis/batch/v1/namespaces/" + NAMESPACE + "/jobs";
  private static final String CLAIMS_PATH =
      "/api/v1/namespaces/" + NAMESPACE + "/persistentvolumeclaims";
  private static final Duration STEP_WAIT = Duration.ofSeconds(20);

  @RegisterExtension final MockCluster cluster = new MockCluster();

  private CamelContext camel;
  private final Map<String, AsyncProducer> producers = new ConcurrentHashMap<>();
  private final List<RecordedRequest> requests = new ArrayList<>();

  @AfterEach
  void stopCamel() throws Exception {
    producers.values().forEach(AsyncProducer::stop);
    if (camel != null) {
      camel.close();
    }
  }

  @Test
  void createsJobWithSpecFromOptions() {
    startCamel(
        route(
            "direct:spec",
            "kjob:build-it?"
                + KUBERNETES
                + "&script=RAW(echo \"$GREETING\" && cat \"$CARAVAN_EVENT_FILE\")"
                + "&env.GREETING=hello"
                + "&cpuRequest=250m&cpuLimit=1&memoryRequest=64Mi&memoryLimit=128Mi"
                + "&timeout=30s&ttlSecondsAfterFinished=120&serviceAccount=builder"
                + "&nodeSelector.disktype=ssd&imagePullPolicy=IfNotPresent"));
    String event =
        "{\"specversion\":\"1.0\",\"id\":\"evt-1\",\"source\":\"github\",\"type\":\"push\"}";
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(KjobConstants.RUN_ID, "run-spec");
    headers.put(
        KjobConstants.STEP_EVENT,
        new StepEvent(
            "evt-1",
            "github",
            "push",
            "refs/heads/main",
            Instant.parse("2025-01-02T03:04:05Z"),
            Map.of(),
            event));

    Exchange done = send("direct:spec", null, headers);

    assertThat(done.getException()).isNull();
    String jobName = done.getMessage().getHeader(KjobConstants.JOB_NAME, String.class);
    assertThat(jobName).matches("build-it-[0-9a-f]{12}-1");
    Job job = cluster.client().batch().v1().jobs().inNamespace(NAMESPACE).withName(jobName).get();
    assertThat(job.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "caravan")
        .containsEntry("caravan.dev/run", "run-spec")
        .containsEntry("caravan.dev/step", "build-it")
        .containsEntry("caravan.dev/event", "evt-1")
        .containsEntry("caravan.dev/attempt", "1");

    JobSpec spec = job.getSpec();
    assertThat(spec.getBackoffLimit()).isZero();
    assertThat(spec.getActiveDeadlineSeconds()).isEqualTo(30L);
    assertThat(spec.getTtlSecondsAfterFinished()).isEqualTo(120);
    assertThat(spec.getTemplate().getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "caravan")
        .containsEntry("caravan.dev/run", "run-spec");
    var pod = spec.getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getServiceAccountName()).isEqualTo("builder");
    assertThat(pod.getNodeSelector()).containsExactly(Map.entry("disktype", "ssd"));

    assertThat(pod.getContainers()).hasSize(1);
    Container step = pod.getContainers().get(0);
    assertThat(step.getName()).isEqualTo("step");
    assertThat(step.getImage()).isEqualTo("busybox:1.36");
    assertThat(step.getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(step.getCommand())
        .containsExactly("/bin/sh", "-c", "echo \"$GREETING\" && cat \"$CARAVAN_EVENT_FILE\"");
    assertThat(envOf(step))
        .containsEntry("GREETING", "hello")
        .containsEntry("CARAVAN_RUN_ID", "run-spec")
        .containsEntry("CARAVAN_STEP", "build-it")
        .containsEntry("CARAVAN_JOB_NAME", jobName)
        .containsEntry("CARAVAN_EVENT_ID", "evt-1")
        .containsEntry("CARAVAN_EVENT_SOURCE", "github")
        .containsEntry("CARAVAN_EVENT_TYPE", "push")
        .containsEntry("CARAVAN_EVENT_SUBJECT", "refs/heads/main")
        .containsEntry("CARAVAN_EVENT_TIME", "2025-01-02T03:04:05Z")
        .containsEntry("CARAVAN_EVENT_FILE", "/caravan/event.json");
    assertThat(step.getResources().getRequests())
        .containsEntry("cpu", new Quantity("250m"))
        .containsEntry("memory", new Quantity("64Mi"));
    assertThat(step.getResources().getLimits())
        .containsEntry("cpu", new Quantity("1"))
        .containsEntry("memory", new Quantity("128Mi"));
    assertThat(step.getVolumeMounts())
        .singleElement()
        .satisfies(
            mount -> {
              assertThat(mount.getMountPath()).isEqualTo("/caravan");
              assertThat(mount.getReadOnly()).isTrue();
            });

    assertThat(pod.getVolumes())
        .singleElement()
        .satisfies(
            volume -> {
              assertThat(volume.getName()).isEqualTo(step.getVolumeMounts().get(0).getName());
              assertThat(volume.getEmptyDir()).isNotNull();
            });
    assertThat(pod.getInitContainers())
        .singleElement()
        .satisfies(
            init -> {
              assertThat(init.getImage()).isEqualTo("busybox:1.36");
              assertThat(init.getCommand()).startsWith("/bin/sh", "-c");
              assertThat(envOf(init)).containsEntry("CARAVAN_EVENT_JSON", event);
              assertThat(init.getVolumeMounts())
                  .singleElement()
                  .satisfies(mount -> assertThat(mount.getMountPath()).isEqualTo("/caravan"));
            });
  }

  @Test
  void stepPodsAreLockedDownByDefaultInitContainersToo() {
    startCamel(route("direct:locked", "kjob:build?" + KUBERNETES + "&checkout=true&script=make"));

    Exchange done =
        send(
            "direct:locked",
            "input",
            Map.of(
                KjobConstants.RUN_ID,
                "run-locked",
                KjobConstants.STEP_EVENT,
                StepEvents.labels(
                    Map.of("cloneUrl", "https://github.com/octo/repo.git", "commit", "abc"))));

    assertThat(done.getException()).isNull();
    PodTemplateSpec template = cluster.kubelet().jobs().get(0).getSpec().getTemplate();
    PodSpec pod = template.getSpec();
    assertThat(pod.getServiceAccountName()).isNull();
    assertThat(pod.getAutomountServiceAccountToken())
        .as("a step that names no service account gets no token")
        .isFalse();
    assertThat(pod.getEnableServiceLinks()).isFalse();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(template.getMetadata().getLabels()).doesNotContainKey(JobLabels.CLUSTER_NETWORK);
    assertThat(allContainers(pod))
        .extracting(Container::getName)
        .containsExactly("caravan-data", "caravan-checkout", "step");
    assertThat(allContainers(pod))
        .allSatisfy(
            container -> {
              SecurityContext security = container.getSecurityContext();
              assertThat(security.getAllowPrivilegeEscalation()).isFalse();
              assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
              assertThat(security.getCapabilities().getAdd()).isNullOrEmpty();
              assertThat(security.getPrivileged()).isNotEqualTo(true);
            });
  }

  @Test
  void aStepThatNamesItsServiceAccountGetsItsTokenUnlessItSaysNo() {
    startCamel(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:token")
                .to("kjob:deploy?" + KUBERNETES + "&serviceAccount=deployer&script=true");
            from("direct:no-token")
                .to(
                    "kjob:deploy?"
                        + KUBERNETES
                        + "&serviceAccount=deployer&automountServiceAccountToken=false"
                        + "&script=true");
          }
        });

    assertThat(send("direct:token", null, Map.of(KjobConstants.RUN_ID, "run-token")).getException())
        .isNull();
    assertThat(
            send("direct:no-token", null, Map.of(KjobConstants.RUN_ID, "run-no-token"))
                .getException())
        .isNull();

    PodSpec token = podOfRun("run-token");
    assertThat(token.getServiceAccountName()).isEqualTo("deployer");
    assertThat(token.getAutomountServiceAccountToken()).isTrue();
    PodSpec noToken = podOfRun("run-no-token");
    assertThat(noToken.getServiceAccountName()).isEqualTo("deployer");
    assertThat(noToken.getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void eachLockOfThePodCanBeRelaxedPerStep() {
    startCamel(
        route(
            "direct:relaxed",
            "kjob:tools?"
                + KUBERNETES
                + "&automountServiceAccountToken=true&enableServiceLinks=true"
                + "&seccompProfile=Unconfined&allowPrivilegeEscalation=true"
                + "&capabilitiesAdd=NET_ADMIN, SYS_TIME&clusterNetwork=true&script=true"));

    Exchange done = send("direct:relaxed", "input", Map.of(KjobConstants.RUN_ID, "run-relaxed"));

    assertThat(done.getException()).isNull();
    Job job = cluster.kubelet().jobs().get(0);
    PodTemplateSpec template = job.getSpec().getTemplate();
    PodSpec pod = template.getSpec();
    assertThat(pod.getServiceAccountName()).as("the namespace's default account").isNull();
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getEnableServiceLinks()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("Unconfined");
    assertThat(template.getMetadata().getLabels())
        .containsEntry(JobLabels.CLUSTER_NETWORK, "true")
        .containsEntry(JobLabels.MANAGED_BY, JobLabels.MANAGED_BY_VALUE);
    assertThat(job.getMetadata().getLabels()).doesNotContainKey(JobLabels.CLUSTER_NETWORK);
    assertThat(allContainers(pod)).extracting(Container::getName).contains("caravan-data", "step");
    assertThat(allContainers(pod))
        .allSatisfy(
            container -> {
              SecurityContext security = container.getSecurityContext();
              assertThat(security.getAllowPrivilegeEscalation()).isTrue();
              assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
              assertThat(security.getCapabilities().getAdd())
                  .containsExactly("NET_ADMIN", "SYS_TIME");
            });
  }

  @Test
  void headersRelaxThePodOfTheirExchangeOnly() {
    startCamel(route("direct:headers", "kjob:tools?" + KUBERNETES + "&script=true"));
    Map<String, Object> relaxed = new LinkedHashMap<>();
    relaxed.put(KjobConstants.RUN_ID, "run-relaxed-by-headers");
    relaxed.put("CaravanAutomountServiceAccountToken", "true");
    relaxed.put("CaravanEnableServiceLinks", true);
    relaxed.put("CaravanSeccompProfile", "Unconfined");
    relaxed.put("CaravanAllowPrivilegeEscalation", "TRUE");
    relaxed.put("CaravanCapabilitiesAdd", List.of("NET_RAW"));
    relaxed.put("CaravanClusterNetwork", true);

    assertThat(send("direct:headers", null, relaxed).getException()).isNull();
    assertThat(
            send("direct:headers", null, Map.of(KjobConstants.RUN_ID, "run-default"))
                .getException())
        .isNull();

    PodSpec pod = podOfRun("run-relaxed-by-headers");
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getEnableServiceLinks()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("Unconfined");
    SecurityContext step = pod.getContainers().get(0).getSecurityContext();
    assertThat(step.getAllowPrivilegeEscalation()).isTrue();
    assertThat(step.getCapabilities().getAdd()).containsExactly("NET_RAW");
    assertThat(jobOfRun("run-relaxed-by-headers").getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry(JobLabels.CLUSTER_NETWORK, "true");

    PodSpec locked = podOfRun("run-default");
    assertThat(locked.getAutomountServiceAccountToken()).isFalse();
    assertThat(locked.getEnableServiceLinks()).isFalse();
    assertThat(locked.getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    assertThat(locked.getContainers().get(0).getSecurityContext().getAllowPrivilegeEscalation())
        .isFalse();
    assertThat(jobOfRun("run-default").getSpec().getTemplate().getMetadata().getLabels())
        .doesNotContainKey(JobLabels.CLUSTER_NETWORK);
  }

  @Test
  void bodyBecomesStandardInputThroughTheInitContainer() {
    startCamel(route("direct:stdin", "kjob:count?" + KUBERNETES + "&script=wc -l"));

    Exchange done = send("direct:stdin", "a\nb\n", Map.of(KjobConstants.RUN_ID, "run-stdin"));

    assertThat(done.getException()).isNull();
    Job job = cluster.kubelet().jobs().get(0);
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().get(0).getCommand())
        .containsExactly("/bin/sh", "-c", "exec /bin/sh -c \"$0\" < /caravan/stdin", "wc -l");
    assertThat(envOf(pod.getContainers().get(0))).doesNotContainKey("CARAVAN_EVENT_FILE");
    assertThat(pod.getInitContainers())
        .singleElement()
        .satisfies(
            init -> assertThat(envOf(init)).containsEntry("CARAVAN_INPUT_BASE64", "YQpiCg=="));
  }

  @Test
  void bodyIsThePodLog() {
    startCamel(route("direct:hello", "kjob:hello?" + KUBERNETES + "&script=echo hello"));

    Exchange done = send("direct:hello", null, Map.of(KjobConstants.RUN_ID, "run-hello"));

    assertThat(done.getException()).isNull();
    String jobName = done.getMessage().getHeader(KjobConstants.JOB_NAME, String.class);
    assertThat(cluster.kubelet().jobNames()).containsExactly(jobName);
    assertThat(done.getMessage().getBody(String.class)).isEqualTo("output of " + jobName + "\n");
    assertThat(done.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.SUCCEEDED);
    assertThat(done.getMessage().getHeader(KjobConstants.EXIT_CODE)).isEqualTo(0);
    assertThat(done.getMessage().getHeader(KjobConstants.STEP_DURATION, Long.class))
        .isNotNull()
        .isNotNegative();
    assertThat(done.getMessage().getHeaders())
        .containsKeys(KjobConstants.STEP_STARTED, KjobConstants.STEP_ENDED);
    assertThat(requests(r -> r.getPath().contains("/log?container=step")))
        .as("the log is read with one GET")
        .hasSize(1);
  }

  @Test
  void failedJobRaisesStepFailedExceptionWithLogTail() {
    cluster.kubelet().on("compile", fail(3, "compiling\nline 2\nerror: boom\n"));
    startCamel(
        route("direct:compile", "kjob:compile?" + KUBERNETES + "&script=make&logTailLines=2"));

    Exchange done = send("direct:compile", null, Map.of(KjobConstants.RUN_ID, "run-fail"));

    assertThat(done.getException()).isInstanceOf(StepFailedException.class);
    StepFailedException failure = (StepFailedException) done.getException();
    assertThat(failure.getExitCode()).isEqualTo(3);
    assertThat(failure.getLogTail()).isEqualTo("line 2\nerror: boom");
    assertThat(failure.getStepName()).isEqualTo("compile");
    assertThat(failure.getJobName()).isEqualTo(cluster.kubelet().jobNames().get(0));
    assertThat(failure.getStatus()).isEqualTo(StepStatus.FAILED);
    assertThat(failure).hasMessageContaining("exit code 3").hasMessageContaining("error: boom");
    assertThat(done.getMessage().getHeader(KjobConstants.STEP_STATUS)).isEqualTo(StepStatus.FAILED);
    assertThat(done.getMessage().getHeader(KjobConstants.EXIT_CODE)).isEqualTo(3);
  }

  @Test
  void longPodLogKeepsItsHeadAndTailFromOneStreamedGet() {
    // 3 MB: the why of the failure is in the last line, far beyond the cap
    String log = "first line\n" + "x".repeat(3_000_000) + "\nerror: the real reason\n";
    cluster.kubelet().on("noisy", fail(1, log));
    startCamel(
        route(
            "direct:noisy",
            "kjob:noisy?" + KUBERNETES + "&script=make&maxOutputBytes=1000&logTailLines=1"));

    Exchange done = send("direct:noisy", null, Map.of(KjobConstants.RUN_ID, "run-noisy"));

    StepFailedException failure = (StepFailedException) done.getException();
    assertThat(failure.getLogTail()).isEqualTo("error: the real reason");
    String body = done.getMessage().getBody(String.class);
    int dropped = log.length() - 1000;
    assertThat(body)
        .startsWith("first line\n" + "x".repeat(500 - "first line\n".length()))
        .contains("\n[caravan: " + dropped + " bytes of output dropped]\n")
        .endsWith(
            "x".repeat(500 - "\nerror: the real reason\n".length()) + "\nerror: the real reason\n");
    assertThat(body.length()).isLessThan(1100);
    List<RecordedRequest> logReads = requests(r -> r.getPath().contains("/log?"));
    assertThat(logReads)
        .as("one GET of the whole log, no byte limit (the tail is the log's real end)")
        .singleElement()
        .satisfies(read -> assertThat(read.getPath()).doesNotContain("limitBytes"));
  }

  @Test
  void deadlineExceededRaisesStepTimeoutExceptionAndTheLogSaysSo() {
    cluster.kubelet().on("slow", exceedDeadline("still working"));
    startCamel(route("direct:slow", "kjob:slow?" + KUBERNETES + "&script=sleep 600&timeout=90s"));

    Exchange done = send("direct:slow", null, Map.of(KjobConstants.RUN_ID, "run-slow"));

    assertThat(cluster.kubelet().jobs().get(0).getSpec().getActiveDeadlineSeconds()).isEqualTo(90L);
    assertThat(done.getException()).isInstanceOf(StepTimeoutException.class);
    StepTimeoutException timeout = (StepTimeoutException) done.getException();
    assertThat(timeout.getStatus()).isEqualTo(StepStatus.TIMED_OUT);
    assertThat(timeout.getLogTail()).isEqualTo("still working\n[caravan: timed out after 1m30s]");
    assertThat(done.getMessage().getBody(String.class))
        .as("the output the journal stores")
        .isEqualTo("still working\n[caravan: timed out after 1m30s]\n");
    assertThat(done.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.TIMED_OUT);
  }

  @Test
  void deletingTheJobCancelsTheStep() throws Exception {
    cluster.kubelet().on("forever", neverFinish());
    startCamel(route("direct:forever", "kjob:forever?" + KUBERNETES + "&script=sleep 1d"));

    CompletableFuture<Exchange> running =
        sendAsync("direct:forever", Map.of(KjobConstants.RUN_ID, "run-cancel"));
    String jobName = awaitStartedJob();
    assertThat(running).isNotDone();
    cluster.client().batch().v1().jobs().inNamespace(NAMESPACE).withName(jobName).delete();

    Exchange done = running.get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(done.getException()).isInstanceOf(StepCanceledException.class);
    assertThat(done.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.CANCELED);
  }

  @Test
  void secondExecutionForSameRunAndStepReattachesInsteadOfCreating() {
    startCamel(route("direct:build", "kjob:build?" + KUBERNETES + "&script=make"));

    Exchange first = send("direct:build", null, Map.of(KjobConstants.RUN_ID, "run-again"));
    Exchange second = send("direct:build", null, Map.of(KjobConstants.RUN_ID, "run-again"));

    assertThat(first.getException()).isNull();
    assertThat(second.getException()).isNull();
    String jobName = first.getMessage().getHeader(KjobConstants.JOB_NAME, String.class);
    assertThat(second.getMessage().getHeader(KjobConstants.JOB_NAME)).isEqualTo(jobName);
    assertThat(first.getMessage().getBody(String.class)).isEqualTo("output of " + jobName + "\n");
    assertThat(second.getMessage().getBody(String.class)).isEqualTo("output of " + jobName + "\n");
    assertThat(requests(r -> "POST".equals(r.getMethod()) && r.getPath().equals(JOBS_PATH)))
        .hasSize(1);
    assertThat(cluster.kubelet().jobNames()).containsExactly(jobName);
  }

  @Test
  void secondExecutionReattachesToAJobThatIsStillRunning() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    cluster.kubelet().on("build", succeed("built\n").after(release));
    startCamel(route("direct:build", "kjob:build?" + KUBERNETES + "&script=make"));
    ListAppender<ILoggingEvent> executorLog = LogCapture.start(KubernetesStepExecutor.class);
    try {
      CompletableFuture<Exchange> first =
          sendAsync("direct:build", Map.of(KjobConstants.RUN_ID, "run-running"));
      String jobName = awaitStartedJob();
      CompletableFuture<Exchange> second =
          sendAsync("direct:build", Map.of(KjobConstants.RUN_ID, "run-running"));
      await()
          .atMost(STEP_WAIT)
          .until(
              () ->
                  LogCapture.events(executorLog).stream()
                      .anyMatch(e -> e.getFormattedMessage().contains("Re-attaching")));
      assertThat(first).isNotDone();
      assertThat(second).isNotDone();

      release.complete(null);

      for (Exchange done :
          List.of(
              first.get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS),
              second.get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS))) {
        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getBody(String.class)).isEqualTo("built\n");
        assertThat(done.getMessage().getHeader(KjobConstants.JOB_NAME)).isEqualTo(jobName);
      }
      assertThat(cluster.kubelet().jobNames()).containsExactly(jobName);
      assertThat(
              cluster
                  .client()
                  .batch()
                  .v1()
                  .jobs()
                  .inNamespace(NAMESPACE)
                  .withLabel("caravan.dev/run", "run-running")
                  .list()
                  .getItems())
          .hasSize(1);
    } finally {
      LogCapture.stop(KubernetesStepExecutor.class, executorLog);
    }
  }

  @Test
  void redeliveryCreatesNewAttempt() {
    cluster.kubelet().on("flaky", 1, fail(1, "flaked\n"));
    startCamel(
        new RouteBuilder() {
          @Override
          public void configure() {
            onException(StepFailedException.class).maximumRedeliveries(1).redeliveryDelay(0);
            from("direct:flaky").to("kjob:flaky?" + KUBERNETES + "&script=./maybe");
          }
        });

    Exchange done = send("direct:flaky", null, Map.of(KjobConstants.RUN_ID, "run-flaky"));

    assertThat(done.getException()).isNull();
    List<String> names = cluster.kubelet().jobNames();
    assertThat(names).hasSize(2);
    assertThat(names.get(0)).endsWith("-1");
    assertThat(names.get(1)).isEqualTo(names.get(0).substring(0, names.get(0).length() - 1) + "2");
    assertThat(cluster.kubelet().jobs())
        .extracting(job -> job.getMetadata().getLabels().get("caravan.dev/attempt"))
        .containsExactly("1", "2");
    assertThat(done.getMessage().getHeader(KjobConstants.JOB_NAME)).isEqualTo(names.get(1));
    assertThat(done.getMessage().getBody(String.class))
        .isEqualTo("output of " + names.get(1) + "\n");
    assertThat(requests(r -> "POST".equals(r.getMethod()) && r.getPath().equals(JOBS_PATH)))
        .hasSize(2);
  }

  @Test
  @DisplayName("200 concurrent steps complete while the JVM's thread count stays bounded")
  void twoHundredConcurrentStepsCompleteWithBoundedThreads() throws Exception {
    int steps = 200;
    CompletableFuture<Void> release = new CompletableFuture<>();
    cluster.kubelet().on("fan", succeed().after(release));
    startCamel(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:warm-up").to("kjob:warm-up?" + KUBERNETES + "&script=true");
            from("direct:fan").to("kjob:fan?" + KUBERNETES + "&script=echo fan");
          }
        });
    // starts the informer, the API pool and the HTTP clients' event loops
    assertThat(send("direct:warm-up", null, Map.of()).getException()).isNull();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int baseline = threads.getThreadCount();
    threads.resetPeakThreadCount();

    List<CompletableFuture<Exchange>> inFlight = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      inFlight.add(sendAsync("direct:fan", Map.of(KjobConstants.RUN_ID, "run-fan-" + i)));
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> cluster.kubelet().jobs().size() == steps + 1);

    assertThat(inFlight).noneMatch(CompletableFuture::isDone);
    assertThat(camel.getInflightRepository().size()).isEqualTo(steps);
    assertThat(threads.getPeakThreadCount())
        .as("peak live threads with %d steps running (baseline %d)", steps, baseline)
        .isLessThan(baseline + 60);

    release.complete(null);

    CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (CompletableFuture<Exchange> future : inFlight) {
      Exchange done = future.join();
      assertThat(done.getException()).isNull();
      String jobName = done.getMessage().getHeader(KjobConstants.JOB_NAME, String.class);
      assertThat(done.getMessage().getBody(String.class)).isEqualTo("output of " + jobName + "\n");
    }
    assertThat(
            inFlight.stream()
                .map(f -> f.join().getMessage().getHeader(KjobConstants.JOB_NAME))
                .distinct())
        .hasSize(steps);
  }

  @Test
  void informerSurvivesClosedWatch() {
    // The executor's informer is started by the first step. Its first list is answered with
    // resourceVersion 1000 and its first watch ends with 410 Gone after 100 ms; neither shows the
    // step's Job, so the step can only complete once the informer has re-listed and re-watched.
    MockApiServers.closeFirstJobWatchWith410(cluster.server(), NAMESPACE);
    startCamel(route("direct:watched", "kjob:watched?" + KUBERNETES + "&script=true"));

    Exchange done = send("direct:watched", null, Map.of(KjobConstants.RUN_ID, "run-410"));

    assertThat(done.getException()).isNull();
    String jobName = done.getMessage().getHeader(KjobConstants.JOB_NAME, String.class);
    assertThat(done.getMessage().getBody(String.class)).isEqualTo("output of " + jobName + "\n");
    Predicate<RecordedRequest> informer =
        r -> "GET".equals(r.getMethod()) && r.getPath().startsWith(JOBS_PATH + "?");
    assertThat(requests(informer.and(r -> !r.getPath().contains("watch=true"))))
        .as("the informer's lists")
        .hasSize(2);
    assertThat(requests(informer.and(r -> r.getPath().contains("watch=true"))))
        .as("the informer's watches")
        .hasSizeGreaterThanOrEqualTo(2)
        .first()
        .satisfies(watch -> assertThat(watch.getPath()).contains("resourceVersion=1000"));
    assertThat(StepExecutors.of(camel).kubernetes().isWatching()).isTrue();
  }

  @Test
  void checkoutClonesTheEventsCommitInAnInitContainerIntoTheWorkingDirectory() {
    String sha = "0123456789abcdef0123456789abcdef01234567";
    startCamel(
        route("direct:checkout", "kjob:build?" + KUBERNETES + "&checkout=true&script=make"),
        kjob -> kjob.setGitImage("example.org/git:2"));

    Exchange done =
        send(
            "direct:checkout",
            null,
            Map.of(
                KjobConstants.RUN_ID,
                "run-checkout",
                KjobConstants.STEP_EVENT,
                StepEvents.labels(
                    Map.of(
                        "cloneUrl", "https://github.com/octo/repo.git",
                        "commit", sha,
                        "ref", "refs/heads/main"))));

    assertThat(done.getException()).isNull();
    var pod = cluster.kubelet().jobs().get(0).getSpec().getTemplate().getSpec();
    Container step = pod.getContainers().get(0);
    assertThat(step.getWorkingDir()).isEqualTo("/workspace/source");
    assertThat(step.getVolumeMounts())
        .singleElement()
        .satisfies(
            mount -> {
              assertThat(mount.getName()).isEqualTo("caravan-source");
              assertThat(mount.getMountPath()).isEqualTo("/workspace/source");
            });
    assertThat(pod.getVolumes())
        .singleElement()
        .satisfies(
            volume -> {
              assertThat(volume.getName()).isEqualTo("caravan-source");
              assertThat(volume.getEmptyDir()).isNotNull();
            });
    assertThat(pod.getInitContainers())
        .singleElement()
        .satisfies(
            init -> {
              assertThat(init.getName()).isEqualTo("caravan-checkout");
              assertThat(init.getImage()).isEqualTo("example.org/git:2");
              assertThat(init.getCommand())
                  .containsExactly("/bin/sh", "-c", JobFactory.CHECKOUT_SCRIPT);
              assertThat(JobFactory.CHECKOUT_SCRIPT)
                  .contains("\"$CARAVAN_REPOSITORY\" \"$CARAVAN_REVISION\"")
                  .contains(
                      "-c protocol.allow=never",
                      "-c \"protocol.$CARAVAN_GIT_PROTOCOL.allow=always\"",
                      "-c http.followRedirects=false")
                  .doesNotContain("github.com");
              assertThat(envOf(init))
                  .containsExactly(
                      Map.entry("CARAVAN_REPOSITORY", "https://github.com/octo/repo.git"),
                      Map.entry("CARAVAN_REVISION", sha),
                      Map.entry("CARAVAN_CHECKOUT_DIR", "/workspace/source"),
                      Map.entry("CARAVAN_GIT_PROTOCOL", "https"));
              assertThat(init.getVolumeMounts()).isEqualTo(step.getVolumeMounts());
            });
  }

  @Test
  void checkoutGoesIntoAGivenWorkingDirAndHeadersOverrideTheEventLabels() {
    startCamel(
        route(
            "direct:checkout",
            "kjob:build?" + KUBERNETES + "&checkout=true&workingDir=/src&script=make"),
        kjob -> kjob.setCheckoutAllowedHosts("github.com,example.org"));

    Exchange done =
        send(
            "direct:checkout",
            "input",
            Map.of(
                KjobConstants.RUN_ID,
                "run-checkout-dir",
                "CaravanRepository",
                "https://example.org/other.git",
                "CaravanRevision",
                "v1.2.3",
                KjobConstants.STEP_EVENT,
                StepEvents.labels(
                    Map.of("cloneUrl", "https://github.com/octo/repo.git", "commit", "abc"))));

    assertThat(done.getException()).isNull();
    var pod = cluster.kubelet().jobs().get(0).getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().get(0).getWorkingDir()).isEqualTo("/src");
    assertThat(pod.getContainers().get(0).getVolumeMounts())
        .extracting(VolumeMount::getMountPath)
        .containsExactly("/caravan", "/src");
    assertThat(pod.getInitContainers())
        .extracting(Container::getName)
        .containsExactly("caravan-data", "caravan-checkout");
    assertThat(envOf(pod.getInitContainers().get(1)))
        .containsEntry("CARAVAN_REPOSITORY", "https://example.org/other.git")
        .containsEntry("CARAVAN_REVISION", "v1.2.3")
        .containsEntry("CARAVAN_CHECKOUT_DIR", "/src");
  }

  @Test
  void failedCheckoutFailsTheStepWithTheInitContainersLog() {
    cluster
        .kubelet()
        .on("build", failInit("caravan-checkout", 128, "fatal: couldn't find remote ref nope\n"));
    startCamel(route("direct:checkout", "kjob:build?" + KUBERNETES + "&checkout=true&script=make"));

    Exchange done =
        send(
            "direct:checkout",
            null,
            Map.of(
                KjobConstants.RUN_ID,
                "run-checkout-fails",
                KjobConstants.STEP_EVENT,
                StepEvents.labels(
                    Map.of("cloneUrl", "https://github.com/octo/repo.git", "commit", "nope"))));

    assertThat(done.getException()).isInstanceOf(StepFailedException.class);
    StepFailedException failure = (StepFailedException) done.getException();
    assertThat(failure.getExitCode()).isEqualTo(128);
    assertThat(failure.getLogTail())
        .contains("fatal: couldn't find remote ref nope")
        .contains("init container caravan-checkout failed with exit code 128");
  }

  @Test
  void workspaceIsOneClaimPerRunMountedByEveryStepAndDeletedWhenTheRunEnds() throws Exception {
    startCamel(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:prepare")
                .to("kjob:prepare?" + KUBERNETES + "&workspace=true&checkout=true&script=make");
            from("direct:left").to("kjob:left?" + KUBERNETES + "&workspace=true&script=ls");
            from("direct:right").to("kjob:right?" + KUBERNETES + "&workspace=true&script=ls");
          }
        },
        kjob -> {
          kjob.setWorkspaceStorageClass("nfs-client");
          kjob.setWorkspaceSize("2Gi");
        });
    Map<String, Object> run =
        Map.of(
            KjobConstants.RUN_ID,
            "run-ws",
            KjobConstants.STEP_EVENT,
            StepEvents.labels(
                Map.of("cloneUrl", "https://github.com/octo/repo.git", "commit", "abc")));

    assertThat(send("direct:prepare", null, run).getException()).isNull();
    CompletableFuture<Exchange> left = sendAsync("direct:left", run);
    CompletableFuture<Exchange> right = sendAsync("direct:right", run);
    assertThat(left.get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS).getException()).isNull();
    assertThat(right.get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS).getException()).isNull();

    String claimName = JobFactory.workspaceClaimName("run-ws");
    assertThat(claimName).matches("caravan-ws-[0-9a-f]{16}");
    List<PersistentVolumeClaim> claims =
        cluster.client().persistentVolumeClaims().inNamespace(NAMESPACE).list().getItems();
    assertThat(claims)
        .singleElement()
        .satisfies(
            claim -> {
              assertThat(claim.getMetadata().getName()).isEqualTo(claimName);
              assertThat(claim.getMetadata().getLabels())
                  .containsEntry("app.kubernetes.io/managed-by", "caravan")
                  .containsEntry("caravan.dev/run", "run-ws");
              assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
              assertThat(claim.getSpec().getStorageClassName()).isEqualTo("nfs-client");
              assertThat(claim.getSpec().getResources().getRequests())
                  .containsEntry("storage", new Quantity("2Gi"));
            });
    assertThat(requests(r -> "POST".equals(r.getMethod()) && r.getPath().equals(CLAIMS_PATH)))
        .as("one claim per run, however many steps use it")
        .hasSize(1);

    assertThat(cluster.kubelet().jobs()).hasSize(3);
    for (Job job : cluster.kubelet().jobs()) {
      var pod = job.getSpec().getTemplate().getSpec();
      Container step = pod.getContainers().get(0);
      assertThat(pod.getVolumes())
          .singleElement()
          .satisfies(
              volume -> {
                assertThat(volume.getName()).isEqualTo("caravan-workspace");
                assertThat(volume.getPersistentVolumeClaim().getClaimName()).isEqualTo(claimName);
              });
      assertThat(step.getVolumeMounts())
          .singleElement()
          .satisfies(mount -> assertThat(mount.getMountPath()).isEqualTo("/workspace"));
      assertThat(envOf(step)).containsEntry("CARAVAN_WORKSPACE", "/workspace");
      String stepName = job.getMetadata().getAnnotations().get("caravan.dev/step-name");
      if (stepName.equals("prepare")) {
        assertThat(step.getWorkingDir()).isEqualTo("/workspace/source");
        assertThat(pod.getInitContainers())
            .singleElement()
            .satisfies(
                init -> {
                  assertThat(envOf(init))
                      .containsEntry("CARAVAN_CHECKOUT_DIR", "/workspace/source");
                  assertThat(init.getVolumeMounts()).isEqualTo(step.getVolumeMounts());
                });
      } else {
        assertThat(step.getWorkingDir()).isEqualTo("/workspace");
        assertThat(pod.getInitContainers()).isNullOrEmpty();
      }
    }

    // another run gets a claim of its own
    assertThat(send("direct:left", null, Map.of(KjobConstants.RUN_ID, "run-ws-2")).getException())
        .isNull();
    assertThat(cluster.client().persistentVolumeClaims().inNamespace(NAMESPACE).list().getItems())
        .extracting(claim -> claim.getMetadata().getName())
        .containsExactlyInAnyOrder(claimName, JobFactory.workspaceClaimName("run-ws-2"));

    StepExecutors kjob = StepExecutors.of(camel);
    kjob.deleteWorkspace("run-ws").get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);
    kjob.deleteWorkspace("run-without-workspace").get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(cluster.client().persistentVolumeClaims().inNamespace(NAMESPACE).list().getItems())
        .extracting(claim -> claim.getMetadata().getName())
        .containsExactly(JobFactory.workspaceClaimName("run-ws-2"));
    assertThat(requests(r -> "DELETE".equals(r.getMethod()) && r.getPath().startsWith(CLAIMS_PATH)))
        .as("a run without a workspace costs no request")
        .hasSize(1);
  }

  @Test
  void anExistingWorkspaceClaimIsUsedAndRememberedForDeletion() throws Exception {
    // as after a restart: the claim of the run is there already (the POST answers 409)
    String claimName = JobFactory.workspaceClaimName("run-resumed");
    cluster
        .client()
        .persistentVolumeClaims()
        .inNamespace(NAMESPACE)
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(claimName)
                .addToLabels("caravan.dev/run", "run-resumed")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .endSpec()
                .build())
        .create();
    startCamel(route("direct:ws", "kjob:build?" + KUBERNETES + "&workspace=true&script=make"));

    Exchange done = send("direct:ws", null, Map.of(KjobConstants.RUN_ID, "run-resumed"));

    assertThat(done.getException()).isNull();
    assertThat(cluster.client().persistentVolumeClaims().inNamespace(NAMESPACE).list().getItems())
        .singleElement()
        .satisfies(
            claim -> assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce"));
    StepExecutors.of(camel)
        .deleteWorkspace("run-resumed")
        .get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(
            cluster
                .client()
                .persistentVolumeClaims()
                .inNamespace(NAMESPACE)
                .withName(claimName)
                .get())
        .isNull();
  }

  @Test
  void theExchangeContinuesOnAKjobContinueThreadAfterItsJobEnded() {
    startCamel(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:continue")
                .to("kjob:build?" + KUBERNETES + "&script=make")
                .process(e -> e.setProperty("continuedOn", Thread.currentThread().getName()));
          }
        });

    Exchange done = send("direct:continue", null, Map.of(KjobConstants.RUN_ID, "run-continue"));

    assertThat(done.getException()).isNull();
    assertThat(done.getProperty("continuedOn", String.class))
        .as("not a thread of fabric8's client or of kjob's API pool")
        .contains("kjob-continue");
  }

  // helpers

  private void startCamel(RoutesBuilder routes) {
    startCamel(routes, kjob -> {});
  }

  private void startCamel(RoutesBuilder routes, Consumer<KjobComponent> configure) {
    KjobComponent kjob = new KjobComponent();
    kjob.setKubernetesClient(cluster.client());
    kjob.setNamespace(NAMESPACE);
    // github.com does not resolve here: the checkout tests skip the internal-address check
    kjob.setCheckoutAllowPrivateAddresses(true);
    configure.accept(kjob);
    camel = new DefaultCamelContext();
    camel.addComponent("kjob", kjob);
    try {
      camel.addRoutes(routes);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    camel.start();
  }

  private static RoutesBuilder route(String from, String to) {
    return new RouteBuilder() {
      @Override
      public void configure() {
        from(from).to(to);
      }
    };
  }

  private Exchange send(String uri, Object body, Map<String, Object> headers) {
    try {
      return sendAsync(uri, body, headers).get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the step did not end within " + STEP_WAIT, e);
    }
  }

  private CompletableFuture<Exchange> sendAsync(String uri, Map<String, Object> headers) {
    return sendAsync(uri, null, headers);
  }

  /**
   * Sends through the endpoint's asynchronous producer on the calling thread, which is free again
   * once the step has been handed to the executor (ProducerTemplate's async methods would add a
   * pool of their own).
   */
  private CompletableFuture<Exchange> sendAsync(
      String uri, Object body, Map<String, Object> headers) {
    AsyncProducer producer =
        producers.computeIfAbsent(
            uri,
            u -> {
              try {
                AsyncProducer created = camel.getEndpoint(u).createAsyncProducer();
                created.start();
                return created;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Exchange exchange = producer.getEndpoint().createExchange(ExchangePattern.InOut);
    exchange.getMessage().setBody(body);
    headers.forEach(
        (name, value) -> {
          if (value instanceof StepEvent event) {
            exchange.setProperty(KjobConstants.STEP_EVENT, event);
          } else {
            exchange.getMessage().setHeader(name, value);
          }
        });
    CompletableFuture<Exchange> done = new CompletableFuture<>();
    producer.process(exchange, doneSync -> done.complete(exchange));
    return done;
  }

  /** Waits until the stand-in has seen exactly one Job and marked it active; returns its name. */
  private String awaitStartedJob() {
    await().atMost(STEP_WAIT).until(() -> cluster.kubelet().jobs().size() == 1);
    String jobName = cluster.kubelet().jobNames().get(0);
    await()
        .atMost(STEP_WAIT)
        .until(
            () -> {
              Job job =
                  cluster
                      .client()
                      .batch()
                      .v1()
                      .jobs()
                      .inNamespace(NAMESPACE)
                      .withName(jobName)
                      .get();
              return job.getStatus() != null && job.getStatus().getStartTime() != null;
            });
    return jobName;
  }

  /** Requests the mock server received so far that match. */
  private List<RecordedRequest> requests(Predicate<RecordedRequest> filter) {
    try {
      RecordedRequest request;
      while ((request = cluster.server().takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
        requests.add(request);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return requests.stream().filter(filter).toList();
  }

  private static List<Container> allContainers(PodSpec pod) {
    List<Container> all = new ArrayList<>();
    if (pod.getInitContainers() != null) {
      all.addAll(pod.getInitContainers());
    }
    all.addAll(pod.getContainers());
    return all;
  }

  private Job jobOfRun(String runId) {
    return cluster.kubelet().jobs().stream()
        .filter(job -> runId.equals(job.getMetadata().getLabels().get(JobLabels.RUN)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Job of run " + runId));
  }

  private PodSpec podOfRun(String runId) {
    return jobOfRun(runId).getSpec().getTemplate().getSpec();
  }

  private static Map<String, String> envOf(Container container) {
    return container.getEnv().stream()
        .collect(
            Collectors.toMap(
                EnvVar::getName,
                env -> env.getValue() == null ? "" : env.getValue(),
                (a, b) -> {
                  throw new AssertionError("duplicate env var with values " + a + ", " + b);
                },
                LinkedHashMap::new));
  }
}
