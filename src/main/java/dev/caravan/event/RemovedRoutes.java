package dev.caravan.event;

import org.apache.camel.Route;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.RouteRemovedEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Deactivates the subscription of a pipeline whose route was removed (its file left the routes
 * directory, say), so that no more deliveries pile up for it; stopping a route, or Caravan, does
 * not: their events wait to be delivered when they start again.
 */
final class RemovedRoutes extends EventNotifierSupport {

  private final EventComponent component;

  RemovedRoutes(EventComponent component) {
    this.component = component;
  }

  @Override
  public boolean isEnabled(CamelEvent event) {
    return event instanceof RouteRemovedEvent;
  }

  @Override
  public void notify(CamelEvent event) {
    Route route = ((RouteRemovedEvent) event).getRoute();
    if (route.getEndpoint() instanceof EventEndpoint
        && !component.getCamelContext().isStopping()
        && component.getStore() != null) {
      component.getStore().deactivate(route.getRouteId());
    }
  }
}
