package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertyConfigurerGetter;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The header rule: {@code Caravan} + the option's name with its first letter upper-cased overrides
 * every option of kjob's metadata for one exchange, and a value the option does not take fails
 * naming the header.
 */
class HeaderOverridesTest {

  /** A header value per documented option, and what the resolved spec then holds. */
  private static final Map<String, Object[]> OVERRIDES =
      Map.ofEntries(
          Map.entry("image", new Object[] {"registry/tool:2", "registry/tool:2"}),
          Map.entry("script", new Object[] {"echo header", "echo header"}),
          Map.entry("command", new Object[] {"ls,-l", "ls,-l"}),
          Map.entry("args", new Object[] {"x,y", "x,y"}),
          Map.entry("envFromSecret", new Object[] {"other-secret", "other-secret"}),
          Map.entry("workingDir", new Object[] {"/from-header", "/from-header"}),
          Map.entry("checkout", new Object[] {"true", true}),
          Map.entry(
              "repository",
              new Object[] {"https://example.org/header.git", "https://example.org/header.git"}),
          Map.entry("revision", new Object[] {"v2", "v2"}),
          Map.entry("workspace", new Object[] {true, true}),
          Map.entry("namespace", new Object[] {"from-header", "from-header"}),
          Map.entry("serviceAccount", new Object[] {"header-account", "header-account"}),
          Map.entry("cpuRequest", new Object[] {"300m", "300m"}),
          Map.entry("cpuLimit", new Object[] {"3", "3"}),
          Map.entry("memoryRequest", new Object[] {"300Mi", "300Mi"}),
          Map.entry("memoryLimit", new Object[] {"3Gi", "3Gi"}),
          Map.entry("timeout", new Object[] {"7m", "7m"}),
          Map.entry("ttlSecondsAfterFinished", new Object[] {"7", 7}),
          Map.entry("imagePullPolicy", new Object[] {"Never", "Never"}),
          Map.entry("executor", new Object[] {"local", "local"}),
          Map.entry("automountServiceAccountToken", new Object[] {"true", true}),
          Map.entry("enableServiceLinks", new Object[] {"TRUE", true}),
          Map.entry("seccompProfile", new Object[] {"Unconfined", "Unconfined"}),
          Map.entry("allowPrivilegeEscalation", new Object[] {true, true}),
          Map.entry("capabilitiesAdd", new Object[] {"NET_RAW", "NET_RAW"}),
          Map.entry("clusterNetwork", new Object[] {"true", true}),
          Map.entry("logTailLines", new Object[] {7, 7}),
          Map.entry("maxOutputBytes", new Object[] {"4096", 4096}),
          Map.entry("env", new Object[] {Map.of("X", "1"), Map.of("A", "a", "X", "1")}),
          Map.entry("nodeSelector", new Object[] {Map.of("c", "d"), Map.of("c", "d")}));

  private static CamelContext context;
  private static StepSpecResolver scriptStep;
  private static StepSpecResolver commandStep;
  private static PropertyConfigurerGetter options;

  @BeforeAll
  static void startCamel() {
    context = new DefaultCamelContext();
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    context.addComponent("kjob", kjob);
    context.start();
    String common = "executor=kubernetes&image=base&env.A=a&nodeSelector.a=b";
    scriptStep =
        new StepSpecResolver(
            context.getEndpoint("kjob:rule?script=true&" + common, KjobEndpoint.class));
    commandStep =
        new StepSpecResolver(
            context.getEndpoint("kjob:rule?command=true&" + common, KjobEndpoint.class));
    options =
        (PropertyConfigurerGetter)
            PluginHelper.getConfigurerResolver(context)
                .resolvePropertyConfigurer(KjobConfiguration.class.getName(), context);
  }

  @AfterAll
  static void stopCamel() {
    context.stop();
  }

  /** The endpoint options of kjob's generated metadata, but the step name (the URI's path). */
  static Stream<String> documentedOptions() throws Exception {
    try (InputStream json =
        HeaderOverridesTest.class.getResourceAsStream("/META-INF/dev/caravan/kjob/kjob.json")) {
      JsonNode properties = new ObjectMapper().readTree(json).get("properties");
      List<String> names = new ArrayList<>();
      properties
          .fields()
          .forEachRemaining(
              option -> {
                boolean ofTheConfiguration =
                    option.getValue().has("configurationClass")
                        || "path".equals(option.getValue().get("kind").asText());
                if (ofTheConfiguration && !"stepName".equals(option.getKey())) {
                  names.add(option.getKey());
                }
              });
      return names.stream();
    }
  }

  @Test
  void theHeaderIsCaravanAndTheOptionNameWithItsFirstLetterUpperCased() {
    assertThat(KjobConstants.overrideHeader("image")).isEqualTo("CaravanImage");
    assertThat(KjobConstants.overrideHeader("ttlSecondsAfterFinished"))
        .isEqualTo("CaravanTtlSecondsAfterFinished");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("documentedOptions")
  void everyOptionIsOverriddenByItsHeader(String option) {
    Object[] override = OVERRIDES.get(option);
    assertThat(override).as("a test value for the option %s", option).isNotNull();

    StepSpec spec = resolve(option, KjobConstants.overrideHeader(option), override[0]);

    Object actual =
        switch (option) {
          case "env" -> spec.env();
          case "nodeSelector" -> spec.options().getNodeSelector();
          default -> options.getOptionValue(spec.options(), option, false);
        };
    assertThat(actual).isEqualTo(override[1]);
  }

  @Test
  void aListHeaderKeepsItsItemsWhole() {
    StepSpec spec = resolve("command", "CaravanCommand", List.of("echo", "a, b"));

    assertThat(spec.command()).containsExactly("echo", "a, b");
  }

  @Test
  void aBlankHeaderOverridesNothing() {
    StepSpec spec = resolve("image", "CaravanImage", " ");

    assertThat(spec.options().getImage()).isEqualTo("base");
  }

  @Test
  void eventHeadersAreNotReadTheStepEventPropertyIs() {
    Exchange exchange = new DefaultExchange(context);
    exchange.getMessage().setHeader("CaravanCheckout", true);
    exchange
        .getMessage()
        .setHeader("CaravanEventLabels", Map.of("cloneUrl", "https://github.com/evil/repo.git"));

    assertThatThrownBy(() -> scriptStep.resolve(exchange))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("checkout=true needs a repository URL")
        .hasMessageContaining(KjobConstants.STEP_EVENT);

    exchange.setProperty(
        KjobConstants.STEP_EVENT,
        StepEvents.labels(Map.of("cloneUrl", "https://github.com/octo/repo.git")));
    assertThat(scriptStep.resolve(exchange).repository())
        .isEqualTo("https://github.com/octo/repo.git");
  }

  static Stream<Arguments> badHeaderValues() {
    return Stream.of(
        Arguments.of("CaravanCheckout", "maybe"),
        Arguments.of("CaravanWorkspace", "1"),
        Arguments.of("CaravanAutomountServiceAccountToken", "no"),
        Arguments.of("CaravanTtlSecondsAfterFinished", "many"),
        Arguments.of("CaravanTtlSecondsAfterFinished", "-1"),
        Arguments.of("CaravanLogTailLines", "-1"),
        Arguments.of("CaravanMaxOutputBytes", "0"),
        Arguments.of("CaravanTimeout", "later"),
        Arguments.of("CaravanExecutor", "cloud"),
        Arguments.of("CaravanNamespace", "Not_Valid"),
        Arguments.of("CaravanServiceAccount", "Bad_Name"),
        Arguments.of("CaravanEnvFromSecret", "ok,Bad_Name"),
        Arguments.of("CaravanCpuLimit", "lots"),
        Arguments.of("CaravanMemoryRequest", "1XB"),
        Arguments.of("CaravanImagePullPolicy", "Sometimes"),
        Arguments.of("CaravanSeccompProfile", "Localhost"),
        Arguments.of("CaravanCapabilitiesAdd", "net_raw"),
        Arguments.of("CaravanRepository", "-x"),
        Arguments.of("CaravanRevision", "--upload-pack=x"),
        Arguments.of("CaravanEnv", "X=1"),
        Arguments.of("CaravanEnv", Map.of("1BAD", "x")),
        Arguments.of("CaravanNodeSelector", "disk=ssd"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("badHeaderValues")
  void aBadHeaderValueFailsNamingTheHeader(String header, Object value) {
    assertThatThrownBy(() -> resolve("image", header, value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Invalid header " + header);
  }

  private static StepSpec resolve(String option, String header, Object value) {
    Exchange exchange = new DefaultExchange(context);
    exchange.setProperty(
        KjobConstants.STEP_EVENT,
        StepEvents.labels(Map.of("cloneUrl", "https://github.com/octo/repo.git")));
    exchange.getMessage().setHeader(header, value);
    boolean needsCommand = option.equals("command") || option.equals("args");
    return (needsCommand ? commandStep : scriptStep).resolve(exchange);
  }
}
