package dev.caravan.graph;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of a pipeline's graph: its kind (see {@link PipelineGraph}), a name (the step name, the
 * route id, the node's own id, or the EIP's name), a label to show, the kind's details (a step's
 * image and script excerpt, a split's expression, a condition, ...) and its children in order.
 */
public record GraphNode(
    String kind, String name, String label, Map<String, Object> details, List<GraphNode> children) {

  public GraphNode {
    details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    children = List.copyOf(children);
  }

  /**
   * The node as JSON-ready maps: {@code kind}, {@code name}, {@code label}, the details, then
   * {@code children}.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("kind", kind);
    map.put("name", name);
    map.put("label", label);
    map.putAll(details);
    map.put("children", children.stream().map(GraphNode::toMap).toList());
    return map;
  }
}
