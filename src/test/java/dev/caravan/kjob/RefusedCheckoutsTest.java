package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caravan.TestGit;
import dev.caravan.kjob.kubernetes.MockCluster;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * checkout=true refuses what the checkout policy does not allow before any git process or Job
 * starts: the step is FAILED, its log names the option that would allow it.
 */
class RefusedCheckoutsTest {

  @TempDir Path tmp;

  private CamelContext context;

  @AfterEach
  void stopCamel() {
    if (context != null) {
      context.stop();
    }
  }

  private void start(String step, Consumer<KjobComponent> options) throws Exception {
    context = new DefaultCamelContext();
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(tmp.resolve("work").toString());
    options.accept(kjob);
    context.addComponent("kjob", kjob);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:checkout").routeId("checkout").to(step);
          }
        });
    context.start();
  }

  private Exchange checkOut(String cloneUrl) {
    return context
        .createProducerTemplate()
        .request(
            "direct:checkout",
            e ->
                e.setProperty(
                    KjobConstants.STEP_EVENT,
                    StepEvents.labels(Map.of("cloneUrl", cloneUrl, "commit", "main"))));
  }

  private static String refusal(Exchange result) {
    assertThat(result.getException()).isInstanceOf(StepFailedException.class);
    assertThat(result.getMessage().getHeader(KjobConstants.EXIT_CODE)).isNull();
    return ((StepFailedException) result.getException()).getLogTail();
  }

  @Test
  void anInternalUrlIsRefusedBeforeGitConnectsToIt() throws Exception {
    try (ServerSocket internal = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      start(
          "kjob:build?checkout=true&script=true",
          kjob -> {
            kjob.setCheckoutAllowedHosts("*");
            kjob.setCheckoutAllowedSchemes("https,http");
          });

      Exchange result = checkOut("http://127.0.0.1:" + internal.getLocalPort() + "/octo/repo.git");

      assertThat(refusal(result))
          .startsWith("[caravan: the step could not start: repository 'http://127.0.0.1:")
          .contains("internal address 127.0.0.1", "checkoutAllowPrivateAddresses=true");
      // the step has ended: a request git had sent would be waiting to be accepted
      internal.setSoTimeout(200);
      assertThatThrownBy(internal::accept)
          .as("nobody connected to the internal service")
          .isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void plainHttpIsRefusedByDefault() throws Exception {
    start("kjob:build?checkout=true&script=true", kjob -> {});

    assertThat(refusal(checkOut("http://127.0.0.1:9/octo/repo.git")))
        .contains("uses http,", "checkoutAllowedSchemes (https,ssh)");
  }

  @Test
  void theFdTransportIsRefusedInsteadOfHangingUntilTheTimeout() throws Exception {
    start("kjob:build?checkout=true&timeout=1h&script=true", kjob -> {});

    assertThat(refusal(checkOut("fd::17")))
        .contains("repository 'fd::17' uses the transport fd::", "checkoutAllowedSchemes");
  }

  @Test
  void theExtTransportRunsNothing() throws Exception {
    Path marker = tmp.resolve("pwned");
    start(
        "kjob:build?checkout=true&script=true",
        kjob -> kjob.setCheckoutAllowedSchemes("https,ssh,http,file"));

    assertThat(refusal(checkOut("ext::sh -c touch% " + marker)))
        .contains("the transport ext::", "checkout never allows");
    assertThat(marker).doesNotExist();
  }

  @Test
  void gitUrlsAreRefused() throws Exception {
    start("kjob:build?checkout=true&script=true", kjob -> kjob.setCheckoutAllowedHosts("*"));

    assertThat(refusal(checkOut("git://github.com/octo/repo.git")))
        .contains("the transport git://", "checkout never allows");
  }

  @Test
  void localRepositoriesAreRefusedUnlessFileIsAllowed() throws Exception {
    Path repo = TestGit.init(tmp.resolve("repo"));
    TestGit.commit(repo, "f.txt", "local\n");
    start("kjob:build?checkout=true&script=true", kjob -> {});

    assertThat(refusal(checkOut(repo.toString())))
        .contains("is local", "checkoutAllowedSchemes (https,ssh)");
    assertThat(refusal(checkOut("file://" + repo))).contains("is local");
  }

  @Test
  void aHostThatIsNotAllowedIsRefused() throws Exception {
    start("kjob:build?checkout=true&script=true", kjob -> {});

    assertThat(refusal(checkOut("https://gitlab.example.com/octo/repo.git")))
        .contains("host gitlab.example.com", "checkoutAllowedHosts (github.com)");
  }

  /** On a mock cluster, closed after the outer class has stopped the context. */
  @Nested
  class OnKubernetes {

    @RegisterExtension final MockCluster cluster = new MockCluster();

    @Test
    void theKubernetesExecutorCreatesNoJobForARefusedRepository() throws Exception {
      start(
          "kjob:build?executor=kubernetes&image=busybox:1.36&checkout=true&script=true",
          kjob -> {
            kjob.setKubernetesClient(cluster.client());
            kjob.setNamespace("test");
          });

      Exchange result = checkOut("https://169.254.169.254/latest/meta-data");

      assertThat(refusal(result)).contains("checkoutAllowedHosts");
      assertThat(cluster.client().batch().v1().jobs().inNamespace("test").list().getItems())
          .isEmpty();
    }
  }

  @Test
  void invalidCheckoutOptionsFailWhenTheComponentStarts() {
    assertThatThrownBy(
            () ->
                start(
                    "kjob:build?checkout=true&script=true",
                    kjob -> kjob.setCheckoutAllowedSchemes("https,ext")))
        .hasRootCauseMessage(
            "Invalid kjob component option checkoutAllowedSchemes=https,ext: 'ext' is not one"
                + " of https, ssh, http and file");
  }
}
