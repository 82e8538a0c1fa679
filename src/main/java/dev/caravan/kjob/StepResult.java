package dev.caravan.kjob;

import java.time.Duration;
import java.time.Instant;

/**
 * What a finished step left behind.
 *
 * @param exitCode {@code null} when the step never produced one (e.g. deleted before it ran)
 * @param output combined stdout and stderr
 */
public record StepResult(
    String jobName,
    StepStatus status,
    Integer exitCode,
    String output,
    Instant started,
    Instant ended) {

  public Duration duration() {
    return Duration.between(started, ended);
  }

  /** The last {@code lines} lines of the output. */
  public String tail(int lines) {
    if (lines == 0 || output.isEmpty()) {
      return "";
    }
    String text = output.endsWith("\n") ? output.substring(0, output.length() - 1) : output;
    int from = text.length();
    for (int i = 0; i < lines && from > 0; i++) {
      from = text.lastIndexOf('\n', from - 1);
      if (from < 0) {
        return text;
      }
    }
    return text.substring(from + 1);
  }
}
