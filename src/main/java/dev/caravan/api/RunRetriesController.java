package dev.caravan.api;

import dev.caravan.run.Runs;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/runs/{id}/retry} (a new run of the same pipeline for the same event that reuses
 * the steps that succeeded) and {@code /rerun} (every step afresh).
 */
@RestController
class RunRetriesController {

  private final CamelContext camel;

  RunRetriesController(CamelContext camel) {
    this.camel = camel;
  }

  @ApiResponse(responseCode = "202", description = "the new run is queued")
  @PostMapping("/api/runs/{id}/retry")
  ResponseEntity<Map<String, Object>> retry(@PathVariable String id) {
    return start(id, true);
  }

  @ApiResponse(responseCode = "202", description = "the new run is queued")
  @PostMapping("/api/runs/{id}/rerun")
  ResponseEntity<Map<String, Object>> rerun(@PathVariable String id) {
    return start(id, false);
  }

  private ResponseEntity<Map<String, Object>> start(String id, boolean keepSucceeded) {
    Runs.Retry retry = Runs.of(camel).retry(id, keepSucceeded);
    switch (retry.outcome()) {
      case NO_SUCH_RUN -> throw ApiException.notFound("run");
      case IN_FLIGHT ->
          throw new ApiException(
              HttpStatus.CONFLICT,
              "the run is still "
                  + retry.original().status().name()
                  + "; cancel it or wait for it to end");
      case PIPELINE_INACTIVE ->
          throw new ApiException(
              HttpStatus.CONFLICT,
              "pipeline " + retry.original().pipeline() + " is not active (its route is gone)");
      case STARTED -> {}
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("id", retry.run().id());
    answer.put("pipeline", retry.run().subscriber());
    answer.put("retryOf", id);
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create("/api/runs/" + retry.run().id()))
        .body(answer);
  }
}
