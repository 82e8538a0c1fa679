package dev.caravan.run;

import java.time.Instant;

/**
 * One run as the API shows it.
 *
 * @param retryOf the run this one retries or runs again ({@code POST /api/runs/{id}/retry} or
 *     {@code /rerun}), or {@code null}
 * @param error the message of the exception that ended the run outside its steps (a processor that
 *     threw), escaped and cut; {@code null} when none did
 * @param trigger what started the run: its event's source, type and subject ({@code null} once the
 *     event is gone)
 * @param concurrencyGroup the concurrency group the run was in, or {@code null} when its pipeline
 *     has none
 */
public record RunView(
    String id,
    String eventId,
    String pipeline,
    RunStatus status,
    Instant created,
    Instant started,
    Instant ended,
    String reuseFrom,
    String summary,
    String retryOf,
    String error,
    Trigger trigger,
    String concurrencyGroup) {

  /** The source, type and subject of the event that started a run. */
  public record Trigger(String source, String type, String subject) {}
}
