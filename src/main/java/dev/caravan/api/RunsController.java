package dev.caravan.api;

import dev.caravan.kjob.StepRecord;
import dev.caravan.run.RunStatus;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/runs}: runs, their steps and logs, and cancel. */
@RestController
@RequestMapping("/api/runs")
class RunsController {

  /** When a follow request refused for too many followers may be tried again. */
  private static final Duration FOLLOW_RETRY_AFTER = Duration.ofSeconds(10);

  private final CamelContext camel;
  private final LogFollowers followers;

  RunsController(CamelContext camel, LogFollowers followers) {
    this.camel = camel;
    this.followers = followers;
  }

  private Runs runs() {
    return Runs.of(camel);
  }

  @GetMapping
  Map<String, Object> list(
      @RequestParam(required = false) String pipeline,
      @RequestParam(required = false) String status,
      @RequestParam(required = false) String event,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) Integer offset) {
    Paging paging = Paging.of(limit, offset);
    RunStatus wanted = status(status);
    List<Map<String, Object>> items =
        runs().store().runs(pipeline, wanted, event, paging.limit(), paging.offset()).stream()
            .map(RunsController::describe)
            .toList();
    return paging.page(items, runs().store().countRuns(pipeline, wanted, event));
  }

  @GetMapping("/{id}")
  Map<String, Object> get(@PathVariable String id) {
    RunView run = runs().store().run(id).orElseThrow(() -> ApiException.notFound("run"));
    Map<String, Object> answer = describe(run);
    answer.put("steps", runs().journal().steps(id).stream().map(RunsController::describe).toList());
    return answer;
  }

  /**
   * The log of a step (its latest attempt unless {@code attempt} is given); {@code follow=true}
   * streams it until the step ends (see {@link LogFollowers}).
   */
  @ApiResponse(
      responseCode = "200",
      description = "the log; with follow=true, streamed until the step ends",
      content = @Content(mediaType = "text/plain"))
  @ApiResponse(responseCode = "503", description = "too many log followers (Retry-After)")
  @GetMapping("/{id}/steps/{step}/logs")
  ResponseEntity<?> logs(
      @PathVariable String id,
      @PathVariable String step,
      @RequestParam(required = false) String index,
      @RequestParam(required = false) Integer attempt,
      @RequestParam(defaultValue = "false") boolean follow,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    runs().store().run(id).orElseThrow(() -> ApiException.notFound("run"));
    StepView found = find(id, step, index, attempt);
    if (!follow) {
      String log =
          runs().journal().log(id, found.name(), found.fanOutIndex(), found.record().attempt());
      return ResponseEntity.ok()
          .contentType(new MediaType("text", "plain", StandardCharsets.UTF_8))
          .body(log);
    }
    LogFollower.Step followed =
        new LogFollower.Step(id, found.name(), found.fanOutIndex(), found.record().attempt());
    if (!followers.follow(request, response, followed)) {
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
          .header(HttpHeaders.RETRY_AFTER, Long.toString(FOLLOW_RETRY_AFTER.toSeconds()))
          .contentType(MediaType.APPLICATION_JSON)
          .body(
              ApiErrors.body(
                  "too many log followers",
                  "at most "
                      + followers.max()
                      + " clients may follow logs at once (caravan.api.max-followers); try again"
                      + " later, or read the log without follow=true"));
    }
    // the follower writes the response from now on
    return null;
  }

  @ApiResponse(responseCode = "202", description = "the run is canceled")
  @PostMapping("/{id}/cancel")
  ResponseEntity<Map<String, Object>> cancel(@PathVariable String id) {
    RunView run = runs().store().run(id).orElseThrow(() -> ApiException.notFound("run"));
    List<StepView> stopped =
        runs()
            .cancel(id)
            .orElseThrow(
                () ->
                    new ApiException(
                        HttpStatus.CONFLICT,
                        "the run already ended with status " + run.status().name()));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("id", id);
    answer.put("status", RunStatus.CANCELED.name());
    answer.put("stopped", stopped.stream().map(step -> step.record().jobName()).toList());
    return ResponseEntity.status(HttpStatus.ACCEPTED).body(answer);
  }

  private StepView find(String id, String step, String index, Integer attempt) {
    return runs().journal().steps(id).stream()
        .filter(view -> view.name().equals(step))
        .filter(view -> index == null || view.fanOutIndex().equals(index))
        .filter(view -> attempt == null || view.record().attempt() == attempt)
        .max(Comparator.comparingInt((StepView view) -> view.record().attempt()))
        .orElseThrow(() -> ApiException.notFound("step"));
  }

  private static RunStatus status(String status) {
    if (status == null) {
      return null;
    }
    try {
      return RunStatus.valueOf(status.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "'status' must be one of "
              + Arrays.stream(RunStatus.values()).map(Enum::name).collect(Collectors.joining(", "))
              + ", not '"
              + status
              + "'");
    }
  }

  /** A run as every list and answer of the API shows it. */
  static Map<String, Object> describe(RunView run) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("id", run.id());
    item.put("event", run.eventId());
    item.put("pipeline", run.pipeline());
    item.put("status", run.status().name());
    item.put("created", run.created());
    item.put("started", run.started());
    item.put("ended", run.ended());
    item.put("reuseFrom", run.reuseFrom());
    item.put("retryOf", run.retryOf());
    item.put("summary", run.summary());
    return item;
  }

  private static Map<String, Object> describe(StepView step) {
    StepRecord record = step.record();
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("name", step.name());
    item.put("fanOutIndex", step.fanOutIndex());
    item.put("attempt", record.attempt());
    item.put("executor", record.executorType().name());
    item.put("jobName", record.jobName());
    item.put("namespace", record.namespace());
    item.put("status", record.hasEnded() ? record.status().name() : "RUNNING");
    item.put("exitCode", record.exitCode());
    item.put("started", record.started());
    item.put("ended", record.ended());
    return item;
  }
}
