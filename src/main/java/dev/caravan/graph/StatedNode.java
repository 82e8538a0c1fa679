package dev.caravan.graph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of a run's graph: the pipeline's {@link GraphNode} with its {@link NodeState}, the items
 * of a fan-out node (a split, or a step run once per item) with their counts per state, and whether
 * the node is in the pipeline's route at all (a step recorded in the run that the route no longer
 * has is not).
 *
 * @param items {@code null} unless the node fans out
 * @param counts {@code null} unless the node fans out
 */
public record StatedNode(
    GraphNode node,
    NodeState state,
    List<Item> items,
    Map<NodeState, Integer> counts,
    boolean inRoute,
    List<StatedNode> children) {

  /** One item of a fan-out node: its fan-out index (as recorded), state, attempt and exit code. */
  public record Item(String index, NodeState state, Integer attempt, Integer exitCode) {

    Map<String, Object> toMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("index", FanOutIndex.json(index));
      map.put("state", state.name());
      if (attempt != null) {
        map.put("attempt", attempt);
        map.put("exitCode", exitCode);
      }
      return map;
    }
  }

  /**
   * The node as JSON-ready maps: what {@link GraphNode#toMap()} gives, then {@code state}, {@code
   * items} and {@code counts} (fan-out nodes), {@code inRoute: false} (nodes only the run's records
   * know), then {@code children}.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> map = node.toMap();
    map.remove("children");
    map.put("state", state.name());
    if (items != null) {
      map.put("items", items.stream().map(Item::toMap).toList());
      Map<String, Integer> byName = new LinkedHashMap<>();
      counts.forEach((state, count) -> byName.put(state.name(), count));
      map.put("counts", byName);
    }
    if (!inRoute) {
      map.put("inRoute", false);
    }
    map.put("children", children.stream().map(StatedNode::toMap).toList());
    return map;
  }

  /** This node and every node below it, depth first, in route order. */
  public List<StatedNode> flatten() {
    List<StatedNode> all = new ArrayList<>();
    all.add(this);
    children.forEach(child -> all.addAll(child.flatten()));
    return all;
  }
}
