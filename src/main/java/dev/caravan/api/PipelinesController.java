package dev.caravan.api;

import dev.caravan.event.EventEndpoint;
import dev.caravan.event.Subscription;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/pipelines}: the routes that subscribe to events. */
@RestController
class PipelinesController {

  private final CamelContext camel;

  PipelinesController(CamelContext camel) {
    this.camel = camel;
  }

  @GetMapping("/api/pipelines")
  Map<String, Object> list() {
    List<Map<String, Object>> pipelines =
        camel.getRoutes().stream()
            .filter(route -> route.getEndpoint() instanceof EventEndpoint)
            .sorted(java.util.Comparator.comparing(Route::getRouteId))
            .map(this::describe)
            .toList();
    return Map.of("items", pipelines);
  }

  private Map<String, Object> describe(Route route) {
    EventEndpoint endpoint = (EventEndpoint) route.getEndpoint();
    Map<String, Object> pipeline = new LinkedHashMap<>();
    pipeline.put("id", route.getRouteId());
    pipeline.put("source", endpoint.getSource());
    pipeline.put("types", Subscription.parseTypes(endpoint.getTypes()));
    pipeline.put("subject", endpoint.getSubject());
    pipeline.put("concurrency", endpoint.getConcurrency());
    pipeline.put("status", camel.getRouteController().getRouteStatus(route.getRouteId()).name());
    return pipeline;
  }
}
