package dev.caravan.pipelines;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.event.H2EventComponents;
import dev.caravan.kjob.KjobComponent;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example pipelines load and start on plain Camel (no Spring), as under camel-main. */
class ExamplePipelinesPlainCamelTest {

  @TempDir Path dir;

  @Test
  void everyPipelineLoadsAndStartsWithoutSpring() throws Exception {
    CamelContext context = new DefaultCamelContext();
    Properties properties = new Properties();
    properties.setProperty("caravan.pipelines.pr-checks.enabled", "true");
    context.getPropertiesComponent().setInitialProperties(properties);
    context.addComponent("event", H2EventComponents.onFile(dir, "events"));
    context.getComponent("kjob", KjobComponent.class).setExecutor("kubernetes");
    for (String file :
        new String[] {"pr-checks", "matrix", "trello-deploy", "nightly", "k8s-warnings"}) {
      PluginHelper.getRoutesLoader(context)
          .loadRoutes(
              ResourceHelper.resolveMandatoryResource(
                  context, "classpath:routes/pipelines/" + file + ".yaml"));
    }
    try {
      // the Kubernetes executor validates images when routes start (no cluster needed for that)
      context.start();

      assertThat(context.getRoutes())
          .extracting(Route::getRouteId)
          .containsExactlyInAnyOrder(
              "pr-checks",
              "pr-checks-rerequested",
              "matrix",
              "trello-deploy",
              "nightly",
              "k8s-warnings",
              "k8s-warnings-summarize");
      for (Route route : context.getRoutes()) {
        assertThat(context.getRouteController().getRouteStatus(route.getRouteId()))
            .isEqualTo(ServiceStatus.Started);
      }
    } finally {
      context.stop();
    }
  }
}
