package dev.caravan.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/stream}: the changes of runs and steps as Server-Sent Events ({@code event: run}
 * or {@code event: step}, the JSON the API shows for the run or step, the change's number as {@code
 * id}), from now on, or after the change named by {@code Last-Event-ID} (kept an hour); {@code
 * run=} or {@code pipeline=} keeps only the changes of one run or pipeline.
 */
@RestController
class StreamController {

  private final ChangeStream changes;
  private final LogFollowers followers;

  StreamController(ChangeStream changes, LogFollowers followers) {
    this.changes = changes;
    this.followers = followers;
  }

  @GetMapping("/api/stream")
  ResponseEntity<?> stream(
      @RequestParam(required = false) String run,
      @RequestParam(required = false) String pipeline,
      HttpServletRequest request,
      HttpServletResponse response)
      throws IOException {
    long cursor = changes.delivered();
    String lastEventId = EventStreams.lastEventId(request);
    if (lastEventId != null) {
      try {
        cursor = Long.parseLong(lastEventId);
      } catch (NumberFormatException e) {
        cursor = -2;
      }
      if (cursor < 0) {
        throw ApiException.badRequest(
            "Last-Event-ID must be the id of an event of this stream (a change number);"
                + " reconnect without it to get the changes from now on");
      }
    }
    StreamSource source = new StreamSource(changes, cursor, run, pipeline);
    if (!followers.follow(request, response, EventStreams.CONTENT_TYPE, source)) {
      return followers.refused("too many stream clients", "stream changes");
    }
    // the follower writes the response from now on
    return null;
  }
}
