package dev.caravan.kjob;

import java.util.Locale;

/** Where a step runs. */
public enum ExecutorType {
  /** Kubernetes when a cluster configuration is present, else local. */
  AUTO,
  /** A Kubernetes Job. */
  KUBERNETES,
  /** A child process of Caravan. */
  LOCAL;

  /** Parses {@code auto}, {@code kubernetes} or {@code local}, naming the option on error. */
  public static ExecutorType parse(String value, String option) {
    if (value == null || value.isBlank()) {
      return AUTO;
    }
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      String shown = LogSafe.escape(value);
      String problem = "expected auto, kubernetes or local";
      throw new InvalidOptionException(
          "Invalid kjob option " + option + "=" + shown + ": " + problem, option, shown, problem);
    }
  }

  /** The name as options, records and metrics spell it: {@code local}, {@code kubernetes}. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
