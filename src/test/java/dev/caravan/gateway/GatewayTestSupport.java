package dev.caravan.gateway;

import dev.caravan.event.H2EventComponents;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;

/** Plain Camel contexts (no Spring) that load Caravan's gateway route files. */
public final class GatewayTestSupport {

  private GatewayTestSupport() {}

  /**
   * A context whose event component keeps events in an H2 file under {@code dir}, with the given
   * properties (what application.properties or camel-main would provide).
   */
  public static CamelContext camel(Path dir, String name, Properties properties) {
    CamelContext context = new DefaultCamelContext();
    context.getCamelContextExtension().setName(name);
    context.getPropertiesComponent().setInitialProperties(properties);
    context.addComponent("event", H2EventComponents.onFile(dir, name));
    return context;
  }

  /** Loads route files from the classpath, as routes-include-pattern does. */
  public static void load(CamelContext context, String... locations) throws Exception {
    for (String location : locations) {
      PluginHelper.getRoutesLoader(context)
          .loadRoutes(ResourceHelper.resolveMandatoryResource(context, location));
    }
  }

  /** A pipeline that records every delivered event of the source. */
  public static List<Exchange> subscribe(CamelContext context, String uri) throws Exception {
    List<Exchange> received = new CopyOnWriteArrayList<>();
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from(uri)
                .routeId("recorder-" + uri.replaceAll("[^A-Za-z0-9]", "-"))
                .process(received::add);
          }
        });
    return received;
  }
}
