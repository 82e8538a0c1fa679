package dev.caravan.kjob;

import java.time.Duration;

/**
 * The line a timed-out step's log ends with, {@code [caravan: timed out after 5m]}: appended to the
 * kept output (after its head, marker and tail), so no truncation drops it, whichever executor ran
 * the step.
 */
public final class TimeoutLine {

  private TimeoutLine() {}

  /** The result with the line appended when it is TIMED_OUT; any other result as it is. */
  public static StepResult appendTo(StepResult result, Duration limit) {
    if (result.status() != StepStatus.TIMED_OUT) {
      return result;
    }
    String output = result.output() == null ? "" : result.output();
    String separated = output.isEmpty() || output.endsWith("\n") ? output : output + "\n";
    return new StepResult(
        result.jobName(),
        result.status(),
        result.exitCode(),
        separated + line(limit),
        result.started(),
        result.ended());
  }

  /** {@code [caravan: timed out after <limit>]} and a line feed. */
  public static String line(Duration limit) {
    return "[caravan: timed out after " + spelling(limit) + "]\n";
  }

  /**
   * A duration as the {@code timeout} option spells it, normalised: hours, minutes, seconds and
   * milliseconds, each only when not zero ({@code 5m}, {@code 1h30m}, {@code 1s500ms}); {@code 0s}
   * for zero.
   */
  public static String spelling(Duration limit) {
    StringBuilder text = new StringBuilder();
    append(text, limit.toHours(), "h");
    append(text, limit.toMinutesPart(), "m");
    append(text, limit.toSecondsPart(), "s");
    append(text, limit.toMillisPart(), "ms");
    return text.isEmpty() ? "0s" : text.toString();
  }

  private static void append(StringBuilder text, long amount, String unit) {
    if (amount > 0) {
      text.append(amount).append(unit);
    }
  }
}
