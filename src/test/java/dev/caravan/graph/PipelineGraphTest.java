package dev.caravan.graph;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.event.H2EventComponents;
import dev.caravan.kjob.KjobComponent;
import java.io.InputStream;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The graph of routes written in the Java DSL and in YAML, read from the route model of a started
 * CamelContext, compared node by node with the trees in src/test/resources/graph/*.json.
 */
class PipelineGraphTest {

  private final ObjectMapper json = new ObjectMapper();
  private CamelContext context;

  @BeforeEach
  void startContext() throws Exception {
    context = new DefaultCamelContext();
    Properties properties = new Properties();
    properties.setProperty("step.image", "alpine:3");
    context.getPropertiesComponent().setInitialProperties(properties);
    context.getComponent("kjob", KjobComponent.class).setExecutor("local");
    // matrix.yaml subscribes to events: a store of the test's own, not Caravan's default file
    context.addComponent("event", H2EventComponents.inMemory("pipeline-graph"));
    context.addRoutes(everyKindInJava());
    PluginHelper.getRoutesLoader(context)
        .loadRoutes(
            ResourceHelper.resolveMandatoryResource(context, "classpath:graph/every-kind.yaml"));
    context.start();
  }

  @AfterEach
  void stopContext() {
    context.stop();
  }

  private static RouteBuilder everyKindInJava() {
    return new RouteBuilder() {
      @Override
      public void configure() {
        from("direct:all")
            .routeId("all")
            .to(
                "kjob:build?image={{step.image}}&script=RAW(make a+b && echo 100%)"
                    + "&env.TOKEN=secret-value")
            .multicast()
            .parallelProcessing()
            .to("kjob:lint?script=echo lint")
            .pipeline()
            .to("kjob:unit?command=mvn&args=test")
            .log("x")
            .end()
            .end()
            .split(simple("${body[items]}"))
            .parallelProcessing()
            .throttle(constant(2))
            .to("kjob:item?script=echo item")
            .end() // the throttle
            .end() // the split
            .choice()
            .when(simple("${header.go}"))
            .loop(3)
            .to("kjob:again?script=echo again")
            .end()
            .endChoice()
            .otherwise()
            .setHeader("X", constant("y"))
            .end()
            .doTry()
            .to("kjob:risky?script=exit 1")
            .doCatch(IllegalStateException.class)
            .filter(header("x").isEqualTo("y"))
            .to("mock:caught?password=hunter2")
            .end()
            .endDoTry()
            .doFinally()
            .log("done")
            .end()
            .toD("kjob:dyn-${header.x}");
      }
    };
  }

  /** The graph as the API writes it, read back. */
  private JsonNode graphOf(String routeId) throws Exception {
    return json.readTree(
        json.writeValueAsString(new PipelineGraph(context).of(routeId).orElseThrow().toMap()));
  }

  private JsonNode expected(String name) throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/graph/" + name + ".json")) {
      return json.readTree(in);
    }
  }

  @Test
  void readsEveryKindOfNodeFromAJavaDslRoute() throws Exception {
    assertThat(graphOf("all").toPrettyString()).isEqualTo(expected("java-dsl").toPrettyString());
  }

  @Test
  void readsEveryKindOfNodeFromAYamlRoute() throws Exception {
    assertThat(graphOf("yaml-all").toPrettyString())
        .isEqualTo(expected("every-kind").toPrettyString());
  }

  @Test
  void showsNeitherEnvironmentValuesNorPasswordsOfEndpoints() throws Exception {
    String graphs = graphOf("all").toString() + graphOf("yaml-all");

    assertThat(graphs).doesNotContain("secret-value", "never-shown", "hunter2");
    assertThat(graphs).contains("mock:caught?password=xxxxxx");
  }

  @Test
  void loadsAScriptResourceAndShowsItsFirstLine() throws Exception {
    PluginHelper.getRoutesLoader(context)
        .loadRoutes(
            ResourceHelper.resolveMandatoryResource(
                context, "classpath:routes/pipelines/matrix.yaml"));

    JsonNode step = graphOf("matrix").at("/children/1/children/0/children/4");

    assertThat(step.get("kind").asText()).isEqualTo("step");
    assertThat(step.get("name").asText()).isEqualTo("test");
    assertThat(step.get("image").asText()).isEqualTo("eclipse-temurin:21");
    assertThat(step.get("script").asText())
        .isEqualTo(
            "# matrix: one test run per version; the image is eclipse-temurin:<version>, so …")
        .hasSize(StepNodes.EXCERPT_LENGTH);
  }

  @Test
  void cutsLongScriptsAtEightyCharactersAndSkipsShebangAndBlankLines() {
    assertThat(StepNodes.excerpt("#!/bin/sh\n\n  echo one\necho two")).isEqualTo("echo one");
    assertThat(StepNodes.excerpt("x".repeat(80))).isEqualTo("x".repeat(80));
    assertThat(StepNodes.excerpt("x".repeat(81))).isEqualTo("x".repeat(79) + "…");
    assertThat(StepNodes.excerpt(null)).isNull();
  }

  @Test
  void knowsNoGraphOfAnUnknownRoute() {
    assertThat(new PipelineGraph(context).of("nonexistent")).isEmpty();
  }
}
