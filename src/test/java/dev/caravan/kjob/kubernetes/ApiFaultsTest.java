package dev.caravan.kjob.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults of the Kubernetes API while a step creates its Job: the mock API server (CRUD, with {@link
 * KubeletStandIn} as Job controller and kubelet) answers the step's Job creation with errors,
 * throttling or slowly. fabric8 retries 5xx and 429 itself (here at most 3 times, 20 ms apart); the
 * step completes with exactly one Job. A watch closed with 410 Gone while the Job is being created
 * is re-listed and re-watched (as in KubernetesExecutorTest#informerSurvivesClosedWatch, here
 * together with a failed creation).
 */
class ApiFaultsTest {

  private static final String NAMESPACE = "test";
  private static final String JOBS_PATH = "/apis/batch/v1/namespaces/" + NAMESPACE + "/jobs";
  private static final int RETRIES = 3;

  /**
   * The fault for the n-th (1-based) Job creation: null passes it to the CRUD server; the function
   * gets the CRUD dispatcher so that a fault can forward first and answer something else.
   */
  private volatile BiFunction<Integer, RecordedRequest, MockResponse> fault = (n, r) -> null;

  private final AtomicInteger jobPosts = new AtomicInteger();
  private KubernetesMixedDispatcher crud;

  @RegisterExtension
  final MockCluster cluster =
      new MockCluster(
              expectations -> {
                crud = new KubernetesMixedDispatcher(expectations);
                return new Dispatcher() {
                  @Override
                  public MockResponse dispatch(RecordedRequest request) {
                    if ("POST".equals(request.getMethod()) && JOBS_PATH.equals(request.getPath())) {
                      MockResponse injected = fault.apply(jobPosts.incrementAndGet(), request);
                      if (injected != null) {
                        return injected;
                      }
                    }
                    return crud.dispatch(request);
                  }
                };
              })
          .withClient(
              config ->
                  config.withRequestRetryBackoffLimit(RETRIES).withRequestRetryBackoffInterval(20));

  private CamelContext camel;

  @AfterEach
  void stopCamel() throws Exception {
    if (camel != null) {
      camel.close();
    }
  }

  private static MockResponse status(int code, String message) {
    return new MockResponse()
        .setResponseCode(code)
        .addHeader("Content-Type", "application/json")
        .setBody(
            Serialization.asJson(
                new StatusBuilder()
                    .withStatus("Failure")
                    .withCode(code)
                    .withMessage(message)
                    .build()));
  }

  private Exchange runStep(String runId) throws Exception {
    KjobComponent kjob = new KjobComponent();
    kjob.setKubernetesClient(cluster.client());
    kjob.setNamespace(NAMESPACE);
    camel = new DefaultCamelContext();
    camel.addComponent("kjob", kjob);
    camel.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:step")
                .to("kjob:faulty?executor=kubernetes&image=busybox:1.36&script=true");
          }
        });
    camel.start();
    ProducerTemplate template = camel.createProducerTemplate();
    return template
        .asyncSend(
            "direct:step", exchange -> exchange.getMessage().setHeader(KjobConstants.RUN_ID, runId))
        .get(30, TimeUnit.SECONDS);
  }

  private void assertCompletedWithOneJob(Exchange done) {
    assertThat(done.getException()).isNull();
    String jobName = done.getMessage().getHeader(KjobConstants.JOB_NAME, String.class);
    assertThat(done.getMessage().getBody(String.class)).isEqualTo("output of " + jobName + "\n");
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NAMESPACE).list().getItems())
        .extracting(job -> job.getMetadata().getName())
        .containsExactly(jobName);
    assertThat(cluster.kubelet().jobNames()).containsExactly(jobName);
  }

  @Test
  void twoServerErrorsThenTheJobIsCreated() throws Exception {
    fault = (n, request) -> n <= 2 ? status(500, "etcdserver: leader changed") : null;

    Exchange done = runStep("run-500");

    assertCompletedWithOneJob(done);
    assertThat(jobPosts).as("Job creations: two refused, one created").hasValue(3);
  }

  @Test
  void throttlingWithRetryAfterIsRetried() throws Exception {
    // fabric8 7.4 retries a 429 with its own backoff; it does not wait for the Retry-After header
    // (measured: the retry comes after the 20 ms backoff interval), so only the outcome is asserted
    fault =
        (n, request) ->
            n == 1 ? status(429, "too many requests").addHeader("Retry-After", "1") : null;

    Exchange done = runStep("run-429");

    assertCompletedWithOneJob(done);
    assertThat(jobPosts).as("one throttled creation, one created").hasValue(2);
  }

  @Test
  void aSlowAnswerIsWaitedFor() throws Exception {
    fault = (n, request) -> crud.dispatch(request).setBodyDelay(Duration.ofMillis(1500));

    Exchange done = runStep("run-slow");

    assertCompletedWithOneJob(done);
    assertThat(jobPosts).hasValue(1);
  }

  @Test
  void aCreationThatSucceededButAnsweredAnErrorIsNotDuplicated() throws Exception {
    // the first POST reaches the store (the Job exists) but its answer is lost as a 500; the
    // client's retry gets 409 Conflict for the same deterministic name and the step re-attaches
    fault =
        (n, request) -> {
          if (n == 1) {
            crud.dispatch(request);
            return status(500, "the answer was lost");
          }
          return null;
        };

    Exchange done = runStep("run-lost-answer");

    assertCompletedWithOneJob(done);
    assertThat(jobPosts).as("the lost answer and the 409 of the retry").hasValue(2);
  }

  @Test
  void aWatchClosedWith410WhileTheCreationFailsOnceIsResumed() throws Exception {
    // the informer's first list shows no Job at resourceVersion 1000 and its first watch ends with
    // 410 Gone; the Job's first creation fails: the step completes only once the informer has
    // re-listed and the creation has been retried
    MockApiServers.closeFirstJobWatchWith410(cluster.server(), NAMESPACE);
    fault = (n, request) -> n == 1 ? status(503, "unavailable") : null;

    Exchange done = runStep("run-410");

    assertCompletedWithOneJob(done);
    assertThat(jobPosts).hasValue(2);
  }

  @Test
  void persistentServerErrorsFailTheStepAfterBoundedRetries() throws Exception {
    fault = (n, request) -> status(500, "down");

    Exchange done = runStep("run-down");

    assertThat(done.getException()).isNotNull();
    assertThat(jobPosts).as("the first try and %d retries", RETRIES).hasValue(1 + RETRIES);
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NAMESPACE).list().getItems())
        .isEmpty();
  }
}
