package dev.caravan.api;

import dev.caravan.event.Delivery;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventEndpoint;
import dev.caravan.event.EventProducer;
import dev.caravan.event.InvalidEventException;
import dev.caravan.event.Subscription;
import dev.caravan.run.Runs;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/pipelines/{id}/runs}: run now. The body (JSON, optional) is the data of a new
 * event of source {@code manual}, type and subject from the query ({@code type} defaults to {@code
 * manual}); it is stored like any event, and only this pipeline gets a delivery, whatever its
 * subscription (a cron pipeline too).
 */
@RestController
class PipelineRunsController {

  static final String SOURCE = "manual";

  private final CamelContext camel;

  PipelineRunsController(CamelContext camel) {
    this.camel = camel;
  }

  @PostMapping("/api/pipelines/{id}/runs")
  ResponseEntity<Map<String, Object>> runNow(
      @PathVariable String id,
      @RequestParam(defaultValue = SOURCE) String type,
      @RequestParam(required = false) String subject,
      @RequestBody(required = false) byte[] body) {
    requireRunnable(id);
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
