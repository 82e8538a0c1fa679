package dev.caravan.routes;

import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.ContextServicePlugin;

/**
 * Gives every CamelContext a {@link RoutesDirectory} (found by Camel through {@code
 * META-INF/services/org.apache.camel.spi.ContextServicePlugin}), so that {@code caravan.routes-dir}
 * works the same under Spring Boot, camel-main and Camel K without any wiring.
 */
public class RoutesDirectoryPlugin implements ContextServicePlugin {

  @Override
  public void load(CamelContext camelContext) {
    if (camelContext.hasService(RoutesDirectory.class) == null) {
      try {
        camelContext.addService(new RoutesDirectory());
      } catch (Exception e) {
        throw RuntimeCamelException.wrapRuntimeCamelException(e);
      }
    }
  }
}
