package dev.caravan.api;

import dev.caravan.event.EventComponent;
import dev.caravan.event.EventEndpoint;
import dev.caravan.event.EventStore;
import dev.caravan.event.Subscription;
import dev.caravan.graph.GraphNode;
import dev.caravan.graph.PipelineGraph;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/pipelines}: the routes that subscribe to events, and the subscriptions whose route is
 * gone (inactive: they collect no more deliveries, and show what still waits for them); {@code
 * /api/pipelines/{id}}: one of them with its graph (none for an inactive one).
 */
@RestController
class PipelinesController {

  private final CamelContext camel;
  private final PipelineGraph graphs;

  PipelinesController(CamelContext camel) {
    this.camel = camel;
    this.graphs = new PipelineGraph(camel);
  }

  @GetMapping("/api/pipelines")
  Map<String, Object> list() {
    List<Map<String, Object>> pipelines = new ArrayList<>();
    camel.getRoutes().stream()
        .filter(route -> route.getEndpoint() instanceof EventEndpoint)
        .sorted(Comparator.comparing(Route::getRouteId))
        .map(this::describe)
        .forEach(pipelines::add);
    Set<String> routes =
        pipelines.stream().map(pipeline -> (String) pipeline.get("id")).collect(Collectors.toSet());
    EventStore store = camel.getComponent("event", EventComponent.class).getStore();
    for (Subscription subscription : store.subscriptions()) {
      if (!subscription.active() && !routes.contains(subscription.subscriber())) {
        pipelines.add(describe(subscription, store.waitingCount(subscription.subscriber())));
      }
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("items", pipelines);
    answer.put("total", pipelines.size());
    return answer;
  }

  @GetMapping("/api/pipelines/{id}")
  Map<String, Object> get(@PathVariable String id) {
    Route route = camel.getRoute(id);
    if (route != null && route.getEndpoint() instanceof EventEndpoint) {
      Map<String, Object> pipeline = describe(route);
      pipeline.put("graph", graphs.of(id).map(GraphNode::toMap).orElse(null));
      return pipeline;
    }
    EventStore store = camel.getComponent("event", EventComponent.class).getStore();
    for (Subscription subscription : store.subscriptions()) {
      if (!subscription.active() && subscription.subscriber().equals(id)) {
        Map<String, Object> pipeline = describe(subscription, store.waitingCount(id));
        pipeline.put("graph", null);
        return pipeline;
      }
    }
    throw ApiException.notFound("pipeline");
  }

  private Map<String, Object> describe(Route route) {
    EventEndpoint endpoint = (EventEndpoint) route.getEndpoint();
    Map<String, Object> pipeline = new LinkedHashMap<>();
    pipeline.put("id", route.getRouteId());
    pipeline.put("source", endpoint.getSource());
    pipeline.put("types", Subscription.parseTypes(endpoint.getTypes()));
    pipeline.put("subject", endpoint.getSubject());
    pipeline.put("concurrency", endpoint.getConcurrency());
    pipeline.put("active", true);
    pipeline.put(
        "status", PipelineState.of(camel.getRouteController().getRouteStatus(route.getRouteId())));
    return pipeline;
  }

  private static Map<String, Object> describe(Subscription subscription, int waiting) {
    Map<String, Object> pipeline = new LinkedHashMap<>();
    pipeline.put("id", subscription.subscriber());
    pipeline.put("source", subscription.source());
    pipeline.put("types", subscription.types());
    pipeline.put("subject", subscription.subject());
    pipeline.put("active", false);
    pipeline.put("status", PipelineState.REMOVED);
    pipeline.put("waiting", waiting);
    return pipeline;
  }
}
