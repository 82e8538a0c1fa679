package dev.caravan.checks;

import dev.caravan.kjob.StepStatus;
import dev.caravan.run.RunStatus;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a check run says of its step: the conclusion of a step status or run status, and the output
 * (a title, and a Markdown summary with the reason and the last lines of the log).
 */
final class CheckOutput {

  private static final Pattern BACKTICKS = Pattern.compile("`+");

  private CheckOutput() {}

  /** GitHub's conclusion of a step that ended so. */
  static String conclusion(StepStatus status) {
    return switch (status) {
      case SUCCEEDED -> "success";
      case FAILED -> "failure";
      case TIMED_OUT -> "timed_out";
      case CANCELED -> "cancelled";
    };
  }

  /** GitHub's conclusion of a step that had not ended when its run ended so. */
  static String conclusion(RunStatus status) {
    return switch (status) {
      case SUCCEEDED -> "success";
      case TIMED_OUT -> "timed_out";
      case CANCELED -> "cancelled";
      default -> "failure";
    };
  }

  /** How bad a conclusion is: the worst of a step's items is the step's. */
  static int severity(String conclusion) {
    return switch (conclusion) {
      case "success" -> 0;
      case "skipped" -> 1;
      case "cancelled" -> 2;
      case "timed_out" -> 3;
      default -> 4;
    };
  }

  static String title(String step, String conclusion) {
    return step
        + " "
        + switch (conclusion) {
          case "success" -> "succeeded";
          case "failure" -> "failed";
          case "timed_out" -> "timed out";
          case "cancelled" -> "was canceled";
          default -> "was skipped";
        };
  }

  /**
   * {@code text} in a fenced block under a heading; the fence is longer than any run of backticks
   * in the text, so a log cannot end the block and write Markdown of its own.
   */
  static String block(String heading, String text) {
    if (text == null || text.isBlank()) {
      return "";
    }
    String fence = "```";
    Matcher runs = BACKTICKS.matcher(text);
    while (runs.find()) {
      if (runs.group().length() >= fence.length()) {
        fence = "`".repeat(runs.group().length() + 1);
      }
    }
    return "\n\n"
        + heading
        + "\n\n"
        + fence
        + "text\n"
        + text
        + (text.endsWith("\n") ? "" : "\n")
        + fence;
  }
}
