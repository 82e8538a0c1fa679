package dev.caravan.api;

import dev.caravan.graph.GraphNode;
import dev.caravan.graph.PipelineGraph;
import dev.caravan.graph.RunGraph;
import dev.caravan.graph.StatedNode;
import dev.caravan.graph.StepAttempt;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;

/**
 * What {@code GET /api/runs/{id}} adds to a run: its steps (recorded attempts, then the planned
 * steps that have none), its graph with a state per node, and its reason.
 */
final class RunDetails {

  private final PipelineGraph graphs;
  private final Runs runs;

  RunDetails(CamelContext camel, Runs runs) {
    this.graphs = new PipelineGraph(camel);
    this.runs = runs;
  }

  /** Puts {@code steps}, {@code graph} and {@code reason} into the run's answer. */
  void addTo(Map<String, Object> answer, RunView run) {
    List<StepView> steps = runs.journal().steps(run.id());
    List<StepAttempt> attempts =
        steps.stream()
            .map(step -> new StepAttempt(step.name(), step.fanOutIndex(), step.record()))
            .toList();
    GraphNode route = graphs.of(run.pipeline()).orElse(null);
    StatedNode graph = RunGraph.of(route, run.pipeline(), attempts, run.status().name());
    List<Map<String, Object>> listed = new ArrayList<>();
    steps.forEach(step -> listed.add(RunsController.describe(step)));
    RunGraph.planned(graph).forEach(step -> listed.add(planned(step)));
    answer.put("steps", listed);
    answer.put("graph", graph.toMap());
    answer.put("reason", RunReason.of(run, steps, runs.journal()));
  }

  /** A step of the route that has no record in the run: PENDING, or SKIPPED. */
  private static Map<String, Object> planned(StatedNode step) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("name", step.node().name());
    item.put("fanOutIndex", null);
    item.put("attempt", null);
    item.put("executor", null);
    item.put("jobName", null);
    item.put("namespace", null);
    item.put("status", step.state().name());
    item.put("exitCode", null);
    item.put("started", null);
    item.put("ended", null);
    return item;
  }
}
