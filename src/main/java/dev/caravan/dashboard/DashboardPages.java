package dev.caravan.dashboard;

import java.nio.charset.StandardCharsets;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The dashboard's pages. Each is a static page of {@code static/ui/} whose scripts read everything
 * they show from the REST API (same origin, same authentication), so a page is the same from every
 * replica and carries no data of its own. Every run, step, event and pipeline has a URL.
 */
@Controller
class DashboardPages {

  private final PageFiles pages;

  DashboardPages(PageFiles pages) {
    this.pages = pages;
  }

  @GetMapping({"/", "/runs"})
  ResponseEntity<byte[]> runs() {
    return page("runs");
  }

  /** A run; {@code ?step=&index=} selects one of its steps. */
  @GetMapping("/runs/{id}")
  ResponseEntity<byte[]> run() {
    return page("run");
  }

  @GetMapping("/events")
  ResponseEntity<byte[]> events() {
    return page("events");
  }

  @GetMapping("/events/{id}")
  ResponseEntity<byte[]> event() {
    return page("event");
  }

  @GetMapping("/pipelines")
  ResponseEntity<byte[]> pipelines() {
    return page("pipelines");
  }

  @GetMapping("/pipelines/{id}")
  ResponseEntity<byte[]> pipeline() {
    return page("pipeline");
  }

  private ResponseEntity<byte[]> page(String name) {
    return ResponseEntity.ok()
        .contentType(new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8))
        .cacheControl(CacheControl.noCache())
        .body(pages.read(name));
  }
}
