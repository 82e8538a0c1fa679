package dev.caravan.api;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Locale;

/**
 * Server-Sent Events as the API writes them: an {@code id:} on every event (a position the client
 * resumes from with {@code Last-Event-ID}), an {@code event:} type and one {@code data:} line per
 * line of data.
 */
final class EventStreams {

  static final String CONTENT_TYPE = "text/event-stream;charset=UTF-8";

  /** A comment line, sent when a stream has been quiet for a while (proxies keep it open). */
  static final String HEARTBEAT = ": heartbeat\n\n";

  private EventStreams() {}

  /** Whether the request asks for an event stream ({@code Accept: text/event-stream}). */
  static boolean wanted(HttpServletRequest request) {
    String accept = request.getHeader("Accept");
    return accept != null && accept.toLowerCase(Locale.ROOT).contains("text/event-stream");
  }

  /** The position a reconnecting client sent ({@code Last-Event-ID}), or {@code null}. */
  static String lastEventId(HttpServletRequest request) {
    String id = request.getHeader("Last-Event-ID");
    return id == null || id.isBlank() ? null : id.trim();
  }

  /** One event; carriage returns in the data are dropped (they would end its lines). */
  static String event(String id, String type, String data) {
    StringBuilder frame = new StringBuilder();
    frame.append("id: ").append(id).append('\n');
    frame.append("event: ").append(type).append('\n');
    for (String line : data.replace("\r", "").split("\n", -1)) {
      frame.append("data: ").append(line).append('\n');
    }
    return frame.append('\n').toString();
  }
}
