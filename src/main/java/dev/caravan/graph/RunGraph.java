package dev.caravan.graph;

import dev.caravan.kjob.StepRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The graph of one run: its pipeline's graph with a {@link NodeState} on every node, derived from
 * the steps the run recorded (docs/reference/rest-api.md, "Run graphs", has the rules).
 *
 * <p>A step node stands for every record of its step name (kjob runs a step once per run and
 * fan-out index, and gives its result again wherever the name comes back in the route); its state
 * is that of the latest attempt, or of its items together. Other nodes have no record of their own:
 * their states follow from where the run's steps got to. Records whose step the route no longer has
 * are shown as extra step nodes at the end of the root, {@code inRoute: false}.
 */
public final class RunGraph {

  /** What the run has recorded of a node: how its steps went, and whether it was entered. */
  private enum Fate {
    /** The run has not (provably) got past the node yet. */
    OPEN,
    /** The run went past the node: it ran (or, for a branch, was left out). */
    PASSED,
    /** A branch not taken, or the rest of a body after a failure: it does not run. */
    NOT_TAKEN
  }

  private final Map<String, Map<String, StepRecord>> latest;
  private final boolean ended;
  private final Map<GraphNode, NodeState> evidence = new IdentityHashMap<>();

  /** Step nodes whose name came earlier in the route: their records are the earlier node's. */
  private final Set<GraphNode> repeats = Collections.newSetFromMap(new IdentityHashMap<>());

  private RunGraph(List<StepAttempt> attempts, boolean ended) {
    this.latest = latestAttempts(attempts);
    this.ended = ended;
  }

  /**
   * The run's graph.
   *
   * @param route the graph of the run's pipeline, {@code null} when its route is gone: the graph is
   *     then a sequence of the recorded steps (every node {@code inRoute: false})
   * @param pipeline the run's pipeline (the root's name when the route is gone)
   * @param attempts every recorded attempt of the run's steps
   * @param runStatus the run's status (PENDING, QUEUED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT,
   *     CANCELED, SKIPPED): the root's state (QUEUED shows as PENDING)
   */
  public static StatedNode of(
      GraphNode route, String pipeline, List<StepAttempt> attempts, String runStatus) {
    // a run waiting in its concurrency group has not started: its graph is as a PENDING run's
    NodeState run = "QUEUED".equals(runStatus) ? NodeState.PENDING : NodeState.valueOf(runStatus);
    boolean ended = run != NodeState.PENDING && run != NodeState.RUNNING;
    return new RunGraph(attempts, ended).root(route, pipeline, run);
  }

  private StatedNode root(GraphNode route, String pipeline, NodeState run) {
    boolean inRoute = route != null;
    GraphNode root =
        inRoute ? route : new GraphNode("sequence", pipeline, pipeline, Map.of(), List.of());
    Set<String> placed = new LinkedHashSet<>();
    collectSteps(root, placed);
    findRepeats(root, new HashSet<>());
    StatedNode stated =
        state(root, run == NodeState.SUCCEEDED ? Fate.PASSED : Fate.OPEN, false, inRoute);
    List<StatedNode> children = new ArrayList<>(stated.children());
    latest.keySet().stream()
        .filter(name -> !placed.contains(name))
        .forEach(name -> children.add(unplaced(name)));
    return new StatedNode(root, run, null, null, inRoute, children);
  }

  private StatedNode unplaced(String name) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("image", null);
    details.put("script", null);
    GraphNode node = new GraphNode("step", name, name, details, List.of());
    return step(node, Fate.OPEN, false, false);
  }

  /**
   * The step nodes without a record of their own and the state the run gives them (PENDING, or
   * SKIPPED): the planned steps of the run, in route order, each step name once.
   */
  public static List<StatedNode> planned(StatedNode graph) {
    Map<String, StatedNode> planned = new LinkedHashMap<>();
    Set<String> recorded = new HashSet<>();
    for (StatedNode node : graph.flatten()) {
      if (node.node().kind().equals("step") && node.inRoute()) {
        if (node.state() == NodeState.PENDING || node.state() == NodeState.SKIPPED) {
          planned.putIfAbsent(node.node().name(), node);
        } else {
          recorded.add(node.node().name());
        }
      }
    }
    recorded.forEach(planned::remove);
    return List.copyOf(planned.values());
  }

  private void findRepeats(GraphNode node, Set<String> seen) {
    if (node.kind().equals("step") && !seen.add(node.name())) {
      repeats.add(node);
    }
    node.children().forEach(child -> findRepeats(child, seen));
  }

  private static void collectSteps(GraphNode node, Set<String> names) {
    if (node.kind().equals("step")) {
      names.add(node.name());
    }
    node.children().forEach(child -> collectSteps(child, names));
  }

  private StatedNode state(GraphNode node, Fate fate, boolean inFanOut, boolean inRoute) {
    if (node.kind().equals("step")) {
      return step(node, fate, inFanOut, inRoute);
    }
    NodeState seen = evidence(node);
    Fate own =
        node.kind().equals("filter") && seen == null && fate == Fate.PASSED ? Fate.NOT_TAKEN : fate;
    if (node.children().isEmpty()) {
      return new StatedNode(node, leaf(own), null, null, inRoute, List.of());
    }
    boolean fansOut = inFanOut || node.kind().equals("split") || node.kind().equals("loop");
    List<Fate> fates = childFates(node, own, seen);
    List<StatedNode> children = new ArrayList<>();
    for (int i = 0; i < node.children().size(); i++) {
      children.add(state(node.children().get(i), fates.get(i), fansOut, inRoute));
    }
    NodeState state = NodeState.ofChildren(children.stream().map(StatedNode::state).toList());
    if (node.kind().equals("split") && seen != null) {
      List<StatedNode.Item> items = splitItems(node);
      return new StatedNode(node, state, items, counts(items), inRoute, children);
    }
    return new StatedNode(node, state, null, null, inRoute, children);
  }

  /** A node without children and without records: where the run got to decides. */
  private NodeState leaf(Fate fate) {
    return switch (fate) {
      case PASSED -> NodeState.SUCCEEDED;
      case NOT_TAKEN -> NodeState.SKIPPED;
      case OPEN -> ended ? NodeState.SKIPPED : NodeState.PENDING;
    };
  }

  /** What the run recorded of each child: how far it got, and which branches it took. */
  private List<Fate> childFates(GraphNode node, Fate fate, NodeState seen) {
    List<GraphNode> children = node.children();
    List<Fate> fates = new ArrayList<>();
    if (fate == Fate.NOT_TAKEN || (seen == null && fate == Fate.OPEN)) {
      children.forEach(child -> fates.add(fate));
      return fates;
    }
    switch (node.kind()) {
      case "parallel" -> children.forEach(child -> fates.add(fate));
      case "choice" -> {
        boolean taken = children.stream().anyMatch(child -> evidence(child) != null);
        for (GraphNode branch : children) {
          fates.add(
              evidence(branch) != null
                  ? fate
                  : taken || fate == Fate.PASSED ? Fate.NOT_TAKEN : fate);
        }
      }
      case "try" -> fates.addAll(tryFates(children, fate));
      default -> fates.addAll(sequence(children, fate == Fate.PASSED));
    }
    return fates;
  }

  /**
   * Children that run one after another: one is passed when a later one has records, or when the
   * run went past their parent.
   */
  private List<Fate> sequence(List<GraphNode> children, boolean parentPassed) {
    List<Fate> fates = new ArrayList<>();
    boolean later = parentPassed;
    for (int i = children.size() - 1; i >= 0; i--) {
      fates.add(0, later ? Fate.PASSED : Fate.OPEN);
      later |= evidence(children.get(i)) != null;
    }
    return fates;
  }

  /**
   * A try: its body runs one after another, and past its end only when its steps did not fail; a
   * catch is taken when it has records, or when it is the only one, the body's steps failed and the
   * run went past the try; the finally runs when the run went past the try.
   */
  private List<Fate> tryFates(List<GraphNode> children, Fate fate) {
    List<GraphNode> body = new ArrayList<>();
    List<Integer> catches = new ArrayList<>();
    for (int i = 0; i < children.size(); i++) {
      String kind = children.get(i).kind();
      if (kind.equals("catch")) {
        catches.add(i);
      } else if (!kind.equals("finally")) {
        body.add(children.get(i));
      }
    }
    NodeState bodySeen = together(body);
    boolean bodyFailed = bodySeen != null && bodySeen.hasEnded() && bodySeen != NodeState.SUCCEEDED;
    boolean passed = fate == Fate.PASSED;
    List<Fate> bodyFates = sequence(body, passed && !bodyFailed);
    boolean caught = catches.stream().anyMatch(i -> evidence(children.get(i)) != null);
    List<Fate> fates = new ArrayList<>();
    int inBody = 0;
    for (GraphNode child : children) {
      switch (child.kind()) {
        case "catch" -> {
          boolean taken =
              evidence(child) != null || (!caught && catches.size() == 1 && bodyFailed && passed);
          fates.add(taken ? fate : passed || caught || ended ? Fate.NOT_TAKEN : Fate.OPEN);
        }
        case "finally" -> fates.add(passed ? Fate.PASSED : Fate.OPEN);
        default -> fates.add(bodyFates.get(inBody++));
      }
    }
    return fates;
  }

  private StatedNode step(GraphNode node, Fate fate, boolean inFanOut, boolean inRoute) {
    Map<String, StepRecord> records = latest.getOrDefault(node.name(), Map.of());
    if (records.isEmpty()) {
      NodeState state = fate == Fate.OPEN && !ended ? NodeState.PENDING : NodeState.SKIPPED;
      return new StatedNode(
          node,
          state,
          inFanOut ? List.of() : null,
          inFanOut ? counts(List.of()) : null,
          inRoute,
          List.of());
    }
    List<StatedNode.Item> items = new ArrayList<>();
    records.forEach(
        (index, record) ->
            items.add(
                new StatedNode.Item(
                    index, NodeState.of(record), record.attempt(), record.exitCode())));
    NodeState state = NodeState.together(items.stream().map(StatedNode.Item::state).toList());
    if (inFanOut || items.size() > 1) {
      return new StatedNode(node, state, items, counts(items), inRoute, List.of());
    }
    return new StatedNode(node, state, null, null, inRoute, List.of());
  }

  /** The items of a split: the fan-out indexes of the steps below it, each with their states. */
  private List<StatedNode.Item> splitItems(GraphNode split) {
    Set<String> names = new LinkedHashSet<>();
    collectSteps(split, names);
    Map<String, List<NodeState>> byIndex = new TreeMap<>(FanOutIndex.ORDER);
    for (String name : names) {
      latest
          .getOrDefault(name, Map.of())
          .forEach(
              (index, record) ->
                  byIndex
                      .computeIfAbsent(index, key -> new ArrayList<>())
                      .add(NodeState.of(record)));
    }
    List<StatedNode.Item> items = new ArrayList<>();
    byIndex.forEach(
        (index, states) ->
            items.add(new StatedNode.Item(index, NodeState.together(states), null, null)));
    return items;
  }

  private static Map<NodeState, Integer> counts(List<StatedNode.Item> items) {
    Map<NodeState, Integer> counts = new EnumMap<>(NodeState.class);
    items.forEach(item -> counts.merge(item.state(), 1, Integer::sum));
    return counts;
  }

  /** How the steps below a node went, {@code null} when none of them has a record. */
  private NodeState evidence(GraphNode node) {
    NodeState known = evidence.get(node);
    if (known != null || evidence.containsKey(node)) {
      return known;
    }
    NodeState seen;
    if (repeats.contains(node)) {
      // a later place of a step name proves nothing about how far the run got
      seen = null;
    } else if (node.kind().equals("step")) {
      Map<String, StepRecord> records = latest.getOrDefault(node.name(), Map.of());
      seen = NodeState.together(records.values().stream().map(NodeState::of).toList());
    } else {
      seen = together(node.children());
    }
    evidence.put(node, seen);
    return seen;
  }

  private NodeState together(List<GraphNode> nodes) {
    List<NodeState> seen = new ArrayList<>();
    for (GraphNode node : nodes) {
      NodeState state = evidence(node);
      if (state != null) {
        seen.add(state);
      }
    }
    return NodeState.together(seen);
  }

  /** The latest attempt of each step name and fan-out index, indexes in order. */
  private static Map<String, Map<String, StepRecord>> latestAttempts(List<StepAttempt> attempts) {
    Map<String, Map<String, StepRecord>> latest = new LinkedHashMap<>();
    for (StepAttempt attempt : attempts) {
      latest
          .computeIfAbsent(attempt.name(), name -> new TreeMap<>(FanOutIndex.ORDER))
          .merge(
              attempt.fanOutIndex(),
              attempt.record(),
              (one, other) -> one.attempt() >= other.attempt() ? one : other);
    }
    return latest;
  }
}
