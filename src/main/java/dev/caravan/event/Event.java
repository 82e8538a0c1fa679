package dev.caravan.event;

import java.time.Instant;
import java.util.Map;

/**
 * What happened: the CloudEvents 1.0 attributes Caravan uses, with the payload as JSON text.
 *
 * @param source where it happened ({@code github}, {@code webhook/<name>}, {@code cron}, ...)
 * @param type Brigade-style type such as {@code pull_request:opened}
 * @param subject what it is about, such as {@code owner/repo}; may be {@code null}
 * @param labels extra attributes such as ref, commit and clone URL
 * @param data the payload as JSON text ({@code null} for none)
 */
public record Event(
    String id,
    String source,
    String type,
    String subject,
    Instant time,
    Map<String, String> labels,
    String data) {

  public Event {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }
}
