package dev.caravan.event;

import java.util.Arrays;
import java.util.List;

/**
 * Which events a pipeline receives.
 *
 * @param subscriber the pipeline's route id
 * @param source a source, or {@code *} for any
 * @param types types to receive; {@code pull_request:*} matches every {@code pull_request:...}
 *     type; empty for all
 * @param subject exact subject, {@code org/*} for a prefix, or {@code null} for any
 * @param active whether it collects deliveries: a subscription whose route was removed does not
 */
public record Subscription(
    String subscriber, String source, List<String> types, String subject, boolean active) {

  public Subscription {
    types = List.copyOf(types);
  }

  /** An active subscription. */
  public Subscription(String subscriber, String source, List<String> types, String subject) {
    this(subscriber, source, types, subject, true);
  }

  public static List<String> parseTypes(String types) {
    if (types == null || types.isBlank()) {
      return List.of();
    }
    return Arrays.stream(types.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
  }

  public boolean matches(Event event) {
    return ("*".equals(source) || source.equals(event.source()))
        && (types.isEmpty() || types.stream().anyMatch(type -> glob(type, event.type())))
        && (subject == null || subject.isBlank() || glob(subject, event.subject()));
  }

  private static boolean glob(String pattern, String value) {
    if (value == null) {
      return false;
    }
    if (pattern.equals("*")) {
      return true;
    }
    return pattern.endsWith("*")
        ? value.startsWith(pattern.substring(0, pattern.length() - 1))
        : pattern.equals(value);
  }
}
