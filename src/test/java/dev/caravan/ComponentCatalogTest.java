package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.apache.camel.CatalogCamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.ComponentNameResolver;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * kjob and event as Camel's tooling finds them at run time, from the metadata Camel's build plugin
 * generates (src/generated): the component names on the class path, each component's JSON schema
 * with its options, their javadoc and defaults, and the jar's list of components that catalogs
 * read.
 */
class ComponentCatalogTest {

  private static final String COMPONENTS_LIST =
      "META-INF/services/org/apache/camel/component.properties";

  /** Camel's contexts answer for the JSON metadata of a component by its name. */
  private final CatalogCamelContext camel = new DefaultCamelContext();

  private final ObjectMapper json = new ObjectMapper();

  @AfterEach
  void stop() {
    camel.stop();
  }

  private JsonNode schema(String component) throws Exception {
    String schema = camel.getComponentParameterJsonSchema(component);
    assertThat(schema).as("the JSON metadata of %s", component).isNotNull();
    return json.readTree(schema);
  }

  @Test
  void camelFindsKjobAndEventAmongTheComponentsOnTheClassPath() {
    ComponentNameResolver names = PluginHelper.getComponentNameResolver(camel);

    assertThat(names.resolveNames(camel)).contains("kjob", "event");
  }

  @Test
  void kjobsSchemaNamesItsOptionsWithTheirJavadocAndDefaults() throws Exception {
    JsonNode kjob = schema("kjob");

    JsonNode component = kjob.get("component");
    assertThat(component.get("scheme").asText()).isEqualTo("kjob");
    assertThat(component.get("syntax").asText()).isEqualTo("kjob:stepName");
    assertThat(component.get("javaType").asText()).isEqualTo("dev.caravan.kjob.KjobComponent");
    assertThat(component.get("producerOnly").asBoolean()).isTrue();
    JsonNode componentExecutor = kjob.get("componentProperties").get("executor");
    assertThat(componentExecutor.get("defaultValue").asText()).isEqualTo("auto");
    assertThat(componentExecutor.get("description").asText())
        .startsWith("Executor of endpoints that set none: auto (Kubernetes when");
    JsonNode options = kjob.get("properties");
    assertThat(options.get("stepName").get("required").asBoolean()).isTrue();
    assertThat(options.get("image").get("description").asText())
        .isEqualTo(
            "Container image of the step. Required on Kubernetes; ignored by the local executor"
                + " (which says so once in the log).");
    assertThat(options.get("image").get("group").asText()).isEqualTo("container");
    assertThat(options.get("timeout").get("defaultValue").asText()).isEqualTo("1h");
    assertThat(options.get("timeout").get("description").asText())
        .startsWith("Longest the step may run: 30s, 5m, 1h30m, 250ms;");
    assertThat(options.get("executor").get("enum"))
        .extracting(JsonNode::asText)
        .containsExactly("auto", "kubernetes", "local");
    assertThat(options.get("executor").get("description").asText())
        .startsWith("Where the step runs: kubernetes, local, or auto");
  }

  @Test
  void eventsSchemaNamesItsOptionsWithTheirJavadocAndDefaults() throws Exception {
    JsonNode event = schema("event");

    JsonNode component = event.get("component");
    assertThat(component.get("scheme").asText()).isEqualTo("event");
    assertThat(component.get("syntax").asText()).isEqualTo("event:source");
    assertThat(component.get("javaType").asText()).isEqualTo("dev.caravan.event.EventComponent");
    JsonNode options = event.get("properties");
    assertThat(options.get("concurrency").get("defaultValue").asInt()).isEqualTo(10);
    assertThat(options.get("concurrency").get("description").asText())
        .startsWith("Consumer: most runs of this pipeline in flight at once;");
    assertThat(options.get("types").get("description").asText())
        .startsWith("Consumer: comma-separated event types to receive;");
    JsonNode pollInterval = event.get("componentProperties").get("pollInterval");
    assertThat(pollInterval.get("defaultValue").asLong()).isEqualTo(5000);
    assertThat(pollInterval.get("description").asText()).startsWith("Milliseconds between looks");
  }

  @Test
  void theJarListsItsComponentsForCatalogs() throws Exception {
    List<Properties> caravans = new ArrayList<>();
    for (URL list : Collections.list(getClass().getClassLoader().getResources(COMPONENTS_LIST))) {
      Properties properties = new Properties();
      try (InputStream in = list.openStream()) {
        properties.load(in);
      }
      if ("dev.caravan".equals(properties.getProperty("groupId"))) {
        caravans.add(properties);
      }
    }

    assertThat(caravans)
        .as("Caravan's %s, generated by camel-component-maven-plugin", COMPONENTS_LIST)
        .singleElement()
        .satisfies(list -> assertThat(list.getProperty("components")).isEqualTo("event kjob"));
  }
}
