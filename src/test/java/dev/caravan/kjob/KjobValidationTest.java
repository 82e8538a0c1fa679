package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KjobValidationTest {

  @TempDir Path home;

  private CamelContext context;
  private KjobComponent kjob;

  @BeforeEach
  void createCamel() {
    context = new DefaultCamelContext();
    kjob = new KjobComponent();
    kjob.setClusterDetector(new ClusterDetector(Map.of(), home));
    context.addComponent("kjob", kjob);
  }

  @AfterEach
  void stopCamel() {
    context.stop();
  }

  private void startWith(String uri) throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:a").routeId("a").to(uri);
          }
        });
    context.start();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "kjob:?script=true | kjob needs a step name",
        "kjob:build | kjob:build: set the option script or the option command",
        "kjob:build?script=true&command=ls | set either the option script or command, not both",
        "kjob:build?args=x&script=true | the option args needs the option command",
        "kjob:build?executor=kubernetes&script=true | the option image is required on Kubernetes",
        "kjob:build?executor=cloud&script=true | Invalid kjob option executor=cloud",
        "kjob:build?timeout=soon&script=true | Invalid kjob option timeout=soon",
        "kjob:build?cpuLimit=lots&script=true | invalid option cpuLimit=lots",
        "kjob:build?memoryRequest=1XB&script=true | invalid option memoryRequest=1XB",
        "kjob:build?imagePullPolicy=Sometimes&script=true | invalid option imagePullPolicy",
        "kjob:build?ttlSecondsAfterFinished=-1&script=true | ttlSecondsAfterFinished must not be",
        "kjob:build?namespace=Not_Valid&script=true | invalid option namespace=Not_Valid",
        "kjob:build?env.1BAD=x&script=true | invalid environment variable name env.1BAD",
        "kjob:build?env.CARAVAN_EVENT_FILE=x&script=true | env.CARAVAN_EVENT_FILE is reserved",
        "kjob:build?scritp=true | kjob: unknown option 'scritp' (did you mean 'script'?)",
        "kjob:build?checkout=yes&script=true | Error binding property (checkout=yes)",
        "kjob:build?workspace=1x&script=true | Error binding property (workspace=1x)",
        "kjob:build?repository=--upload-pack=x&script=true | invalid repository",
        "kjob:build?revision=-x&script=true | must not start with '-'",
        "kjob:build?executor=kubernetes&image=i&checkout=true&workingDir=src&script=true"
            + " | workingDir=src must be an absolute path",
        "kjob:build?seccompProfile=Localhost&script=true | invalid option seccompProfile=Localhost",
        "kjob:build?seccompProfile=runtimedefault&script=true | expected RuntimeDefault or Unconf",
        "kjob:build?capabilitiesAdd=net_admin&script=true | invalid option capabilitiesAdd: 'net_",
        "kjob:build?capabilitiesAdd=CAP_SYS_ADMIN&script=true | 'CAP_SYS_ADMIN' is not a capabil",
        "kjob:build?clusterNetwork=maybe&script=true | Error binding property (clusterNetwork=may",
        "kjob:build?allowPrivilegeEscalation=1&script=true | (allowPrivilegeEscalation=1)",
        "kjob:build?automountServiceAccountToken=sure&script=true | automountServiceAccountToken",
      })
  void invalidOptionsFailWhenTheRouteStartsNamingTheOption(String uri, String message) {
    assertThatThrownBy(() -> startWith(uri))
        .hasStackTraceContaining(message.trim())
        .satisfies(e -> assertThat(context.getRoute("a")).isNull());
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "workspaceAccessMode | Sometimes | workspaceAccessMode=Sometimes",
        "workspaceSize | lots | workspaceSize=lots",
        "workspaceSize | 0 | workspaceSize=0",
        "gitImage | ' ' | gitImage must not be empty",
      })
  void invalidWorkspaceComponentOptionsFailWhenCamelStarts(
      String option, String value, String message) {
    switch (option) {
      case "workspaceAccessMode" -> kjob.setWorkspaceAccessMode(value);
      case "workspaceSize" -> kjob.setWorkspaceSize(value);
      default -> kjob.setGitImage(value);
    }

    assertThatThrownBy(() -> startWith("kjob:build?executor=local&script=true"))
        .hasStackTraceContaining(message);
  }

  @Test
  void autoPicksLocalWithoutClusterConfiguration() throws Exception {
    startWith("kjob:build?script=true");

    assertThat(kjob.executors().resolve(ExecutorType.AUTO)).isEqualTo(ExecutorType.LOCAL);
  }

  @Test
  void autoPicksKubernetesWhenAKubeconfigIsPresent() throws Exception {
    Files.createDirectories(home.resolve(".kube"));
    Files.writeString(home.resolve(".kube/config"), "apiVersion: v1\n");

    assertThatThrownBy(() -> startWith("kjob:build?script=true"))
        .hasStackTraceContaining("the option image is required on Kubernetes");
    assertThat(kjob.executors().resolve(ExecutorType.AUTO)).isEqualTo(ExecutorType.KUBERNETES);
  }

  @Test
  void autoPicksKubernetesForAKubeconfigNamedByTheEnvironment() throws Exception {
    Path config = home.resolve("cluster.yaml");
    Files.writeString(config, "apiVersion: v1\n");

    assertThat(
            new ClusterDetector(Map.of("KUBECONFIG", config.toString()), home).findConfiguration())
        .isEqualTo("kubeconfig " + config);
    assertThat(new ClusterDetector(Map.of(), home).findConfiguration()).isNull();
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "CaravanTimeout | later | CaravanTimeout=later",
        "CaravanSeccompProfile | Localhost | Invalid header CaravanSeccompProfile=Localhost",
        "CaravanCapabilitiesAdd | NET_ADMIN,sys_time | Invalid header CaravanCapabilitiesAdd: 'sys_",
        "CaravanAllowPrivilegeEscalation | yes | Invalid header CaravanAllowPrivilegeEscalation=yes",
        "CaravanClusterNetwork | 1 | Invalid header CaravanClusterNetwork=1",
        "CaravanEnableServiceLinks | on | Invalid header CaravanEnableServiceLinks=on",
        "CaravanAutomountServiceAccountToken | no | CaravanAutomountServiceAccountToken=no",
      })
  void invalidHeaderOverrideFailsTheExchangeNamingTheHeader(
      String header, String value, String message) throws Exception {
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(home.resolve("work").toString());
    startWith("kjob:build?script=true");

    var result =
        context
            .createProducerTemplate()
            .request("direct:a", e -> e.getMessage().setHeader(header, value));

    assertThat(result.getException())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message.trim());
  }
}
