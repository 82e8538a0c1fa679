package dev.caravan.api;

import dev.caravan.event.EventComponent;
import dev.caravan.run.JdbcRunStore;
import dev.caravan.run.RunFilter;
import dev.caravan.run.Runs;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/events/{id}/runs}: the runs of one event, newest first, as /api/runs lists. */
@RestController
class EventRunsController {

  private final CamelContext camel;

  EventRunsController(CamelContext camel) {
    this.camel = camel;
  }

  @GetMapping("/api/events/{id}/runs")
  Map<String, Object> runs(
      @PathVariable String id,
      @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) Integer offset) {
    Paging paging = Paging.of(limit, offset);
    camel
        .getComponent("event", EventComponent.class)
        .getStore()
        .find(id)
        .orElseThrow(() -> ApiException.notFound("event"));
    JdbcRunStore store = Runs.of(camel).store();
    List<Map<String, Object>> items =
        store.runs(RunFilter.ofEvent(id), paging.limit(), paging.offset()).stream()
            .map(RunsController::describe)
            .toList();
    return paging.page(items, store.countRuns(RunFilter.ofEvent(id)));
  }
}
