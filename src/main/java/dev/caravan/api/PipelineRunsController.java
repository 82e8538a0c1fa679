package dev.caravan.api;

import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventEndpoint;
import dev.caravan.event.EventProducer;
import dev.caravan.event.InvalidEventException;
import dev.caravan.event.Subscription;
import dev.caravan.run.Runs;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.parameters.RequestBody;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/pipelines/{id}/runs}: run now. The body (JSON, optional) is the data of a new
 * event of source {@code manual}, type and subject from the query ({@code type} defaults to {@code
 * manual}); it is stored like any event, and only this pipeline gets a delivery, whatever its
 * subscription (a cron pipeline too). The body is read as the gateways read theirs: at most {@code
 * caravan.gateways.max-body-bytes}, and only when declared JSON (or not declared).
 */
@RestController
class PipelineRunsController {

  static final String SOURCE = "manual";

  private final CamelContext camel;
  private final long maxBodyBytes;

  PipelineRunsController(
      CamelContext camel, @Value("${caravan.gateways.max-body-bytes:26214400}") long maxBodyBytes) {
    this.camel = camel;
    this.maxBodyBytes = maxBodyBytes;
  }

  @ApiResponse(responseCode = "202", description = "the run is queued")
  @RequestBody(
      description = "the event data (JSON, any value; empty for none)",
      required = false,
      content = @Content(mediaType = "application/json"))
  @PostMapping("/api/pipelines/{id}/runs")
  ResponseEntity<Map<String, Object>> runNow(
      @PathVariable String id,
      @RequestParam(defaultValue = SOURCE) String type,
      @RequestParam(required = false) String subject,
      HttpServletRequest request)
      throws IOException {
    requireRunnable(id);
    byte[] body = JsonRequestBody.read(request, maxBodyBytes);
    Event event;
    try {
      event = EventProducer.newEvent(null, SOURCE, type, subject, null, Map.of(), body);
    } catch (InvalidEventException e) {
      throw ApiException.badRequest(
          e.getMessage()
              + " (the body is the event data, JSON; type and subject are query"
              + " parameters)");
    }
    Delivery run =
        Runs.of(camel)
            .runNow(id, event)
            .orElseThrow(
                () -> new ApiException(HttpStatus.CONFLICT, "pipeline " + id + " is not active"));
    Map<String, Object> started = new LinkedHashMap<>();
    started.put("id", run.id());
    started.put("pipeline", run.subscriber());
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("event", event.id());
    answer.put("run", started);
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create("/api/runs/" + run.id()))
        .body(answer);
  }

  /** 404 for no such pipeline, 409 for one whose route is stopped or removed. */
  private void requireRunnable(String id) {
    Route route = camel.getRoute(id);
    if (route != null && route.getEndpoint() instanceof EventEndpoint) {
      ServiceStatus status = camel.getRouteController().getRouteStatus(id);
      if (status != ServiceStatus.Started) {
        throw new ApiException(
            HttpStatus.CONFLICT,
            "pipeline " + id + " is " + status + "; start its route to run it");
      }
      return;
    }
    boolean removed =
        camel.getComponent("event", EventComponent.class).getStore().subscriptions().stream()
            .map(Subscription::subscriber)
            .anyMatch(id::equals);
    if (removed) {
      throw new ApiException(
          HttpStatus.CONFLICT, "pipeline " + id + " was removed (its route is gone)");
    }
    throw ApiException.notFound("pipeline");
  }
}
