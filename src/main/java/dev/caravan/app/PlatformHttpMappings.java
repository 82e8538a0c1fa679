package dev.caravan.app;

import org.apache.camel.Consumer;
import org.apache.camel.component.platform.http.springboot.CamelRequestHandlerMapping;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Drops the Spring MVC mapping of a platform-http route once the route is removed (for instance
 * when its file leaves {@code caravan.routes-dir}), so that its path answers 404. camel-spring-boot
 * 4.17 registers a mapping per consumer but never unregisters it ({@code
 * CamelRequestHandlerMapping.unregisterHttpEndpoint} is empty): the path of a removed route would
 * keep reaching the stopped consumer and answer an empty 500. A route added again on the same path
 * replaces the mapping as before.
 */
class PlatformHttpMappings extends EventNotifierSupport {

  private final CamelRequestHandlerMapping mapping;

  PlatformHttpMappings(CamelRequestHandlerMapping mapping) {
    this.mapping = mapping;
  }

  @Override
  public boolean isEnabled(CamelEvent event) {
    return event instanceof CamelEvent.RouteRemovedEvent;
  }

  @Override
  public void notify(CamelEvent event) {
    mapping
        .getHandlerMethods()
        .forEach(
            (info, method) -> {
              if (method.getBean() instanceof Consumer consumer
                  && consumer instanceof ServiceSupport service
                  && service.isStoppingOrStopped()) {
                mapping.unregisterMapping(info);
              }
            });
  }
}
