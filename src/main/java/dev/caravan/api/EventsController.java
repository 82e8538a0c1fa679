package dev.caravan.api;

import com.fasterxml.jackson.databind.util.RawValue;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventJson;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.Runs;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/events}: stored events as CloudEvents, and their replay. */
@RestController
@RequestMapping("/api/events")
class EventsController {

  private static final MediaType CLOUD_EVENT =
      MediaType.parseMediaType("application/cloudevents+json");

  private final CamelContext camel;

  EventsController(CamelContext camel) {
    this.camel = camel;
  }

  @GetMapping
  Map<String, Object> list(
      @RequestParam(required = false) String source,
      @RequestParam(required = false) String type,
      @RequestParam(required = false) String subject,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) Integer offset) {
    Paging paging = Paging.of(limit, offset);
    List<Event> found =
        events().getStore().events(source, type, subject, paging.limit(), paging.offset());
    // each event's JSON as written by EventJson, not re-parsed: its data stays as it was sent
    List<RawValue> items = new ArrayList<>();
    for (Event event : found) {
      items.add(new RawValue(EventJson.toCloudEvent(event)));
    }
    return paging.page(items, events().getStore().countEvents(source, type, subject));
  }

  @ApiResponse(responseCode = "200", content = @Content(mediaType = "application/cloudevents+json"))
  @GetMapping("/{id}")
  ResponseEntity<String> get(@PathVariable String id) {
    Event event = events().getStore().find(id).orElseThrow(() -> ApiException.notFound("event"));
    return ResponseEntity.ok().contentType(CLOUD_EVENT).body(EventJson.toCloudEvent(event));
  }

  /** A new run per subscribed pipeline; {@code keepSucceeded} reuses succeeded steps. */
  @ApiResponse(responseCode = "202", description = "a new run per subscribed pipeline")
  @PostMapping("/{id}/replay")
  ResponseEntity<Map<String, Object>> replay(
      @PathVariable String id, @RequestParam(defaultValue = "false") boolean keepSucceeded) {
    List<JdbcRunStore.Claimed> runs =
        Runs.of(camel).replay(id, keepSucceeded).orElseThrow(() -> ApiException.notFound("event"));
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("event", id);
    answer.put(
        "runs",
        runs.stream()
            .map(
                run -> {
                  Map<String, Object> item = new LinkedHashMap<>();
                  item.put("id", run.delivery().id());
                  item.put("pipeline", run.delivery().subscriber());
                  item.put("reuseFrom", run.reuseFrom());
                  return item;
                })
            .toList());
    return ResponseEntity.status(HttpStatus.ACCEPTED).body(answer);
  }

  private EventComponent events() {
    return camel.getComponent("event", EventComponent.class);
  }
}
