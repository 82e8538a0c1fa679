package dev.caravan.kjob;

/**
 * One option has a value it does not accept. Knows which option, so that a value that came from the
 * option's header is reported under the header's name instead.
 */
final class InvalidOptionException extends IllegalArgumentException {

  private final String option;
  private final String value;
  private final String problem;

  /**
   * @param message what the route author reads when the option was set on the endpoint
   * @param option the option's name, such as {@code timeout}
   * @param value the bad value, already safe for a log line, or {@code null} when the problem names
   *     the bad part itself
   * @param problem what is wrong or expected, such as {@code expected true or false}
   */
  InvalidOptionException(String message, String option, String value, String problem) {
    super(message);
    this.option = option;
    this.value = value;
    this.problem = problem;
  }

  String option() {
    return option;
  }

  /** The same problem, for a value that came from a header: names the header. */
  IllegalArgumentException forHeader(String header) {
    return new IllegalArgumentException(headerMessage(header, value, problem), this);
  }

  /** {@code Invalid header <header>=<value>: <problem>}, or without the value when it is null. */
  static String headerMessage(String header, String value, String problem) {
    return "Invalid header " + header + (value == null ? "" : "=" + value) + ": " + problem;
  }
}
