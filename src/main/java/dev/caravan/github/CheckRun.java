package dev.caravan.github;

import java.time.Instant;
import java.util.Locale;
import java.util.Set;

/**
 * What {@link CheckRuns} sends of one check run: its name, {@code status} ({@code queued}, {@code
 * in_progress}, {@code completed}), {@code conclusion} once completed ({@code success}, {@code
 * failure}, {@code cancelled}, {@code timed_out}, {@code skipped}, {@code neutral}), {@code
 * details_url}, start and completion times and the output (title, summary, text). Unset (null)
 * fields are left out of the request, so an update changes only what it sets.
 */
public record CheckRun(
    String name,
    String status,
    String conclusion,
    String detailsUrl,
    Instant startedAt,
    Instant completedAt,
    String title,
    String summary,
    String text) {

  static final Set<String> STATUSES = Set.of("queued", "in_progress", "completed");
  static final Set<String> CONCLUSIONS =
      Set.of("success", "failure", "cancelled", "timed_out", "skipped", "neutral");

  public CheckRun {
    if (status != null) {
      status = status.toLowerCase(Locale.ROOT);
      if (!STATUSES.contains(status)) {
        throw new IllegalArgumentException(
            "the check run status must be queued, in_progress or completed, not " + status);
      }
    }
    if (conclusion != null) {
      conclusion = conclusion.toLowerCase(Locale.ROOT);
      if (!CONCLUSIONS.contains(conclusion)) {
        throw new IllegalArgumentException(
            "the check run conclusion must be one of success, failure, cancelled, timed_out,"
                + " skipped, neutral, not "
                + conclusion);
      }
    }
    if (detailsUrl != null) {
      GitHubPaths.httpUrl(detailsUrl, "the check run's details_url");
    }
  }

  /** A check run of this name, nothing else set yet. */
  public static CheckRun named(String name) {
    return new CheckRun(name, null, null, null, null, null, null, null, null);
  }

  /** Nothing set: the start of an update. */
  public static CheckRun change() {
    return named(null);
  }

  public CheckRun withStatus(String status) {
    return new CheckRun(
        name, status, conclusion, detailsUrl, startedAt, completedAt, title, summary, text);
  }

  /** Completed with this conclusion ({@code status} becomes {@code completed}). */
  public CheckRun completed(String conclusion, Instant completedAt) {
    return new CheckRun(
        name, "completed", conclusion, detailsUrl, startedAt, completedAt, title, summary, text);
  }

  public CheckRun withDetailsUrl(String detailsUrl) {
    return new CheckRun(
        name, status, conclusion, detailsUrl, startedAt, completedAt, title, summary, text);
  }

  public CheckRun withStartedAt(Instant startedAt) {
    return new CheckRun(
        name, status, conclusion, detailsUrl, startedAt, completedAt, title, summary, text);
  }

  /** The output GitHub shows; {@code text} may be null. Longer texts keep their end. */
  public CheckRun withOutput(String title, String summary, String text) {
    return new CheckRun(
        name, status, conclusion, detailsUrl, startedAt, completedAt, title, summary, text);
  }
}
