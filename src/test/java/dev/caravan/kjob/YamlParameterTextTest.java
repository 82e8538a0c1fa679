package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Shell text written under a kjob endpoint's {@code parameters:} in a YAML route reaches the step
 * byte for byte, although Camel's YAML DSL builds an unencoded query string out of that map.
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

  /** Camel's YAML DSL has no hook for env.NAME keys: they still need RAW(...) (see kjob.md). */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "c++ is 1+1",
        "100% done",
        "a%20b",
        "a&b=c",
        "#hash",
        "x#y",
        "$((1+1))",
        "it's \"quoted\"",
        "back\\slash",
        "é✓",
      })
  void envValuesWrappedInRawReachTheStepByteForByte(String value) throws Exception {
    load(
        """
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
            .formatted(yamlQuoted("RAW(" + value + ")")));

    assertThat(run()).isEqualTo(value);
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
    PluginHelper.getRoutesLoader(context)
        .loadRoutes(ResourceHelper.fromBytes("text.yaml", yaml.getBytes(StandardCharsets.UTF_8)));
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
