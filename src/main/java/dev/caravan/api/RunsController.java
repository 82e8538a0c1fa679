package dev.caravan.api;

import dev.caravan.graph.FanOutIndex;
import dev.caravan.kjob.StepRecord;
import dev.caravan.run.RunFilter;
import dev.caravan.run.RunStatus;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/runs}: runs, their steps, and cancel (their logs: {@link RunLogsController}). */
@RestController
@RequestMapping("/api/runs")
class RunsController {

  private final CamelContext camel;

  RunsController(CamelContext camel) {
    this.camel = camel;
  }

  private Runs runs() {
    return Runs.of(camel);
  }

  @GetMapping
  Map<String, Object> list(
      @RequestParam(required = false) String pipeline,
      @RequestParam(required = false) String status,
      @RequestParam(required = false) String event,
      @RequestParam(required = false) String since,
      @RequestParam(required = false) String until,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) Integer offset) {
    Paging paging = Paging.of(limit, offset);
    RunFilter filter =
        new RunFilter(
            pipeline, status(status), event, instant("since", since), instant("until", until));
    List<Map<String, Object>> items =
        runs().store().runs(filter, paging.limit(), paging.offset()).stream()
            .map(RunsController::describe)
            .toList();
    return paging.page(items, runs().store().countRuns(filter));
  }

  /** A time filter: an ISO-8601 instant ({@code 2026-12-01T09:00:00Z}), or none. */
  private static Instant instant(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(value.strip()).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          "'"
              + name
              + "' must be an ISO-8601 date and time with its offset, such as"
              + " 2026-12-01T09:00:00Z, not '"
              + value
              + "'");
    }
  }

  @GetMapping("/{id}")
  Map<String, Object> get(@PathVariable String id) {
    RunView run = runs().store().run(id).orElseThrow(() -> ApiException.notFound("run"));
    Map<String, Object> answer = describe(run);
    new RunDetails(camel, runs()).addTo(answer, run);
    return answer;
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
    item.put("trigger", trigger(run.trigger()));
    item.put("status", run.status().name());
    item.put("created", run.created());
    item.put("started", run.started());
    item.put("ended", run.ended());
    item.put("reuseFrom", run.reuseFrom());
    item.put("retryOf", run.retryOf());
    item.put("summary", run.summary());
    item.put("concurrencyGroup", run.concurrencyGroup());
    return item;
  }

  private static Map<String, Object> trigger(RunView.Trigger trigger) {
    if (trigger == null) {
      return null;
    }
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("source", trigger.source());
    item.put("type", trigger.type());
    item.put("subject", trigger.subject());
    return item;
  }

  /**
   * One recorded attempt of a step, as every answer of the API (and the change stream) shows it.
   */
  static Map<String, Object> describe(StepView step) {
    StepRecord record = step.record();
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("name", step.name());
    item.put("fanOutIndex", FanOutIndex.json(step.fanOutIndex()));
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
