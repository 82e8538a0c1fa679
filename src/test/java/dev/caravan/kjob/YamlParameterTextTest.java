package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Shell text and environment values written under a kjob endpoint's {@code parameters:} in a YAML
 * route reach the step byte for byte, although Camel's YAML DSL builds an unencoded query string
 * out of that map.
 */
class YamlParameterTextTest {

  @TempDir Path dir;

  private CamelContext context;

  @BeforeEach
  void createCamel() {
    context = new DefaultCamelContext();
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(dir.resolve("work").toString());
    kjob.setClusterDetector(new ClusterDetector(Map.of(), dir));
    context.addComponent("kjob", kjob);
  }

  @AfterEach
  void stopCamel() {
    context.stop();
  }

  /** Each argument is printed by printf '%s' and must come back unchanged. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "c++ is 1+1",
        "100% done",
        "a%20b",
        "%41%2B%25",
        "make build && make test",
        "a&b=c",
        "x # not a comment",
        "k=v=w",
        "$((1+1))",
        "it's",
        "say \"hi\"",
        "back\\slash \\\\ \\n",
        "é✓ ünïcödé",
        "(a) {b} [c]",
      })
  void scriptTextReachesTheStepByteForByte(String text) throws Exception {
    String script = "printf '%s' " + shellQuoted(text);
    load(
        """
        - route:
            id: text
            from:
              uri: direct:text
              steps:
                - to:
                    uri: kjob:print
                    parameters:
                      script: %s
        """
            .formatted(yamlQuoted(script)));

    assertThat(run()).isEqualTo(text);
  }

  /** The env.NAME values, which Camel's YAML DSL would join into the URI as they are. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "c++ is 1+1",
        "100% done",
        "a%20b",
        "%41%2B%25",
        "a&b=c",
        "k=v=w",
        "#hash",
        "x#y",
        "$((1+1))",
        "it's \"quoted\"",
        "back\\slash",
        "é✓ ünïcödé",
        "(sleep 1)& wait",
        "f(x)",
        "{a}&b",
        "RAW is a word",
      })
  void envValuesReachTheStepByteForByte(String value) throws Exception {
    assertThat(runWithEnv(yamlQuoted(value))).isEqualTo(value);
  }

  @Test
  void envValuesWrittenInRawStayAsTheyWere() throws Exception {
    assertThat(runWithEnv(yamlQuoted("RAW(1+1 & more)"))).isEqualTo("1+1 & more");
  }

  @Test
  void envValuesMayUsePropertyPlaceholders() throws Exception {
    context.getPropertiesComponent().addInitialProperty("greeting", "c++ & 100%");
    assertThat(runWithEnv(yamlQuoted("{{greeting}}"))).isEqualTo("c++ & 100%");
  }

  @Test
  void aNumberIsPassedAsItsText() throws Exception {
    assertThat(runWithEnv("007")).isEqualTo("007");
  }

  @Test
  void aValueThatNoUriCanHoldIsRefusedNamingTheOption() {
    assertThatThrownBy(() -> runWithEnv(yamlQuoted("a)&b}&c")))
        .hasStackTraceContaining("kjob option 'env.VALUE'")
        .hasStackTraceContaining("from a header");
  }

  @Test
  void aRouteFileNamedCamelYamlIsLoadedTheSameWay() throws Exception {
    load("text.camel.yaml", envRoute(yamlQuoted("c++ & 100%")));
    assertThat(run()).isEqualTo("c++ & 100%");
  }

  private String runWithEnv(String yamlValue) throws Exception {
    load("text.yaml", envRoute(yamlValue));
    return run();
  }

  private static String envRoute(String yamlValue) {
    return """
        - route:
            id: env
            from:
              uri: direct:text
              steps:
                - to:
                    uri: kjob:print
                    parameters:
                      script: printf '%%s' "$VALUE"
                      env.VALUE: %s
        """
        .formatted(yamlValue);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"echo out; echo err >&2", "echo out; echo c++ >&2"})
  void redirectionsLoadAndRun(String script) throws Exception {
    load(
        """
        - route:
            id: redirect
            from:
              uri: direct:text
              steps:
                - to:
                    uri: kjob:print
                    parameters:
                      script: %s
        """
            .formatted(yamlQuoted(script)));

    assertThat(run()).startsWith("out");
  }

  private void load(String yaml) throws Exception {
    load("text.yaml", yaml);
  }

  private void load(String name, String yaml) throws Exception {
    PluginHelper.getRoutesLoader(context)
        .loadRoutes(ResourceHelper.fromBytes(name, yaml.getBytes(StandardCharsets.UTF_8)));
    context.start();
  }

  private String run() {
    return context.createProducerTemplate().requestBody("direct:text", "", String.class);
  }

  private static String shellQuoted(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  /** A YAML double-quoted scalar: every character as written, escapes for the special ones. */
  private static String yamlQuoted(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\t' -> quoted.append("\\t");
        default -> quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }
}
