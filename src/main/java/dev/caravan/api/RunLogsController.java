package dev.caravan.api;

import dev.caravan.graph.GraphNode;
import dev.caravan.graph.PipelineGraph;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.CamelContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The logs of runs: {@code /api/runs/{id}/logs} (the whole run's, each line prefixed by its step)
 * and {@code /api/runs/{id}/steps/{step}/logs} (one step's). Stored as plain text; followed ({@code
 * follow=true}) as plain text, or as Server-Sent Events ({@code Accept: text/event-stream}, which
 * always follow and resume from {@code Last-Event-ID}), by {@link LogFollowers}.
 */
@RestController
@RequestMapping("/api/runs")
class RunLogsController {

  private static final MediaType TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);
  private static final String TEXT_STREAM = "text/plain;charset=UTF-8";

  private final CamelContext camel;
  private final LogFollowers followers;

  RunLogsController(CamelContext camel, LogFollowers followers) {
    this.camel = camel;
    this.followers = followers;
  }

  private Runs runs() {
    return Runs.of(camel);
  }

  /**
   * The whole run's log: every step's lines, each prefixed by its step (see {@link RunLogSource}).
   */
  @GetMapping("/{id}/logs")
  ResponseEntity<?> runLog(
      @PathVariable String id,
      @RequestParam(defaultValue = "false") boolean follow,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    runs().store().run(id).orElseThrow(() -> ApiException.notFound("run"));
    boolean events = EventStreams.wanted(request);
    if (!follow && !events) {
      return ResponseEntity.ok().contentType(TEXT).body(RunLogSource.stored(camel, id));
    }
    Map<String, StepLines.Position> from =
        events ? RunLogSource.positions(EventStreams.lastEventId(request)) : Map.of();
    return follow(request, response, events, new RunLogSource(camel, id, events, from));
  }

  /**
   * The log of a step (its latest attempt unless {@code attempt} is given); {@code follow=true} (or
   * an event stream) streams it until the step ends, waiting for a step of the pipeline that has
   * not started yet.
   */
  @GetMapping("/{id}/steps/{step}/logs")
  ResponseEntity<?> stepLog(
      @PathVariable String id,
      @PathVariable String step,
      @RequestParam(required = false) String index,
      @RequestParam(required = false) Integer attempt,
      @RequestParam(defaultValue = "false") boolean follow,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    RunView run = runs().store().run(id).orElseThrow(() -> ApiException.notFound("run"));
    boolean events = EventStreams.wanted(request);
    Optional<StepView> found = StepLogSource.find(runs().journal().steps(id), step, index, attempt);
    if (!follow && !events) {
      StepView view = found.orElseThrow(() -> ApiException.notFound("step"));
      String log =
          runs().journal().log(id, view.name(), view.fanOutIndex(), view.record().attempt());
      return ResponseEntity.ok().contentType(TEXT).body(log);
    }
    if (found.isEmpty() && !hasStep(run.pipeline(), step)) {
      throw new ApiException(
          HttpStatus.NOT_FOUND,
          "pipeline '"
              + run.pipeline()
              + "' has no step '"
              + step
              + "' (see GET /api/pipelines/"
              + run.pipeline()
              + ")");
    }
    StepLines.Position from = StepLines.Position.START;
    String lastEventId = events ? EventStreams.lastEventId(request) : null;
    if (lastEventId != null) {
      from = StepLines.Position.parse(lastEventId);
      if (from == null) {
        throw ApiException.badRequest(
            "Last-Event-ID is not a position in this step's log (<chunk>.<offset>); reconnect"
                + " without it to read the log from its start");
      }
    }
    return follow(
        request,
        response,
        events,
        new StepLogSource(camel, id, step, index, attempt, events, from));
  }

  /**
   * Whether the pipeline's route has a step of that name (a step whose name is an expression may be
   * any).
   */
  private boolean hasStep(String pipeline, String step) {
    return new PipelineGraph(camel).of(pipeline).map(root -> hasStep(root, step)).orElse(false);
  }

  private static boolean hasStep(GraphNode node, String step) {
    if ("step".equals(node.kind())
        && node.name() != null
        && (node.name().equals(step) || node.name().contains("${"))) {
      return true;
    }
    return node.children().stream().anyMatch(child -> hasStep(child, step));
  }

  private ResponseEntity<?> follow(
      HttpServletRequest request,
      HttpServletResponse response,
      boolean events,
      LogFollower.Source source)
      throws IOException {
    if (!followers.follow(
        request, response, events ? EventStreams.CONTENT_TYPE : TEXT_STREAM, source)) {
      return followers.refused("too many log followers", "follow logs");
    }
    // the follower writes the response from now on
    return null;
  }
}
