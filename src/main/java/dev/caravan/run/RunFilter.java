package dev.caravan.run;

import java.time.Instant;

/**
 * Which runs a list shows: each part that is not {@code null} narrows it.
 *
 * @param since runs created at or after this instant
 * @param until runs created before this instant
 */
public record RunFilter(
    String pipeline, RunStatus status, String eventId, Instant since, Instant until) {

  public static RunFilter ofEvent(String eventId) {
    return new RunFilter(null, null, eventId, null, null);
  }
}
