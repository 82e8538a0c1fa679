package dev.caravan.run;

import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.ContextServicePlugin;

/**
 * Gives every CamelContext a {@link RetentionService} (found by Camel through {@code
 * META-INF/services/org.apache.camel.spi.ContextServicePlugin}), so that {@code
 * caravan.retention.*} works the same under Spring Boot, camel-main and Camel K without any wiring.
 */
public class RetentionPlugin implements ContextServicePlugin {

  @Override
  public void load(CamelContext camelContext) {
    if (camelContext.hasService(RetentionService.class) == null) {
      try {
        camelContext.addService(new RetentionService());
      } catch (Exception e) {
        throw RuntimeCamelException.wrapRuntimeCamelException(e);
      }
    }
  }
}
