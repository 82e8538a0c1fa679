package dev.caravan.checks;

import dev.caravan.graph.GraphNode;
import dev.caravan.graph.PipelineGraph;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.CamelContext;

/**
 * The steps a pipeline plans, read from its route model ({@link PipelineGraph}): each step name
 * once, in the order of the route, and whether it is {@code grouped}: inside a split or a loop, or
 * named more than once, so that one run may run it as several items.
 */
final class PlannedSteps {

  private PlannedSteps() {}

  /** Step name to grouped, in the route's order; empty for a route the model does not have. */
  static Map<String, Boolean> of(CamelContext camel, String routeId) {
    Map<String, Boolean> steps = new LinkedHashMap<>();
    new PipelineGraph(camel).of(routeId).ifPresent(graph -> collect(graph, false, steps));
    return steps;
  }

  private static void collect(GraphNode node, boolean repeated, Map<String, Boolean> steps) {
    if ("step".equals(node.kind()) && node.name() != null && !node.name().isBlank()) {
      steps.merge(node.name(), repeated, (known, again) -> true);
      return;
    }
    boolean body = repeated || "split".equals(node.kind()) || "loop".equals(node.kind());
    for (GraphNode child : node.children()) {
      collect(child, body, steps);
    }
  }
}
