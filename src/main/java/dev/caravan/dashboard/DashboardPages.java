package dev.caravan.dashboard;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.resource.NoResourceFoundException;

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

  /**
   * What is not a GET of {@code /events/{id}} is no page: a POST there is a gateway's (the
   * gateways' routes take theirs first), so one that no gateway takes is the 404 of an unknown
   * gateway, not a 405 of the page.
   */
  @RequestMapping(
      value = "/events/{id}",
      method = {RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE})
  void noGateway(HttpServletRequest request) throws NoResourceFoundException {
    throw new NoResourceFoundException(
        HttpMethod.valueOf(request.getMethod()), request.getRequestURI());
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
