package dev.caravan.kjob;

import java.time.Instant;
import java.util.Map;

/**
 * The event a step belongs to, as the exchange property {@link KjobConstants#STEP_EVENT}: what kjob
 * hands the step ({@code CARAVAN_EVENT_*} variables, the event file) and where checkout=true finds
 * the repository (the labels {@code cloneUrl}, {@code commit}, {@code ref}). Whoever starts a run
 * sets it; kjob reads no event headers.
 *
 * @param id the event's id ({@code CARAVAN_EVENT_ID}, the Job label {@code caravan.dev/event})
 * @param source where it happened ({@code CARAVAN_EVENT_SOURCE})
 * @param type its type ({@code CARAVAN_EVENT_TYPE})
 * @param subject what it is about, or {@code null} ({@code CARAVAN_EVENT_SUBJECT})
 * @param time when it happened, or {@code null} ({@code CARAVAN_EVENT_TIME}, ISO-8601)
 * @param labels extra attributes such as ref, commit and clone URL
 * @param json the whole event as CloudEvents JSON, or {@code null}: the file named by {@code
 *     CARAVAN_EVENT_FILE}
 */
public record StepEvent(
    String id,
    String source,
    String type,
    String subject,
    Instant time,
    Map<String, String> labels,
    String json) {

  /** Label with the repository's clone URL (set by the GitHub gateways). */
  public static final String CLONE_URL_LABEL = "cloneUrl";

  /** Label with the commit to check out. */
  public static final String COMMIT_LABEL = "commit";

  /** Label with the ref to check out when there is no commit. */
  public static final String REF_LABEL = "ref";

  public StepEvent {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** The label's value, or {@code null} when it is absent or blank. */
  public String label(String name) {
    String value = labels.get(name);
    return value == null || value.isBlank() ? null : value;
  }
}
