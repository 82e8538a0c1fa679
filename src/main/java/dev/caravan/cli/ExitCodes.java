package dev.caravan.cli;

/**
 * The exit codes of {@code caravan} (docs/reference/cli.md, "Exit codes"): one table, used by every
 * command.
 */
public final class ExitCodes {

  /** Done; for {@code runs wait}: the run SUCCEEDED. */
  public static final int OK = 0;

  /** The server refused the request (4xx other than 401/403/404, 5xx), or lint found problems. */
  public static final int FAILURE = 1;

  /** Bad command line: unknown command or option, missing argument (picocli's own code). */
  public static final int USAGE = 2;

  /** The run, event, pipeline or step does not exist (404). */
  public static final int NOT_FOUND = 3;

  /** The server could not be reached (connection refused, unknown host, timeout). */
  public static final int UNREACHABLE = 4;

  /** The server wants an API token, or refused the one given (401, 403). */
  public static final int UNAUTHORIZED = 5;

  /** {@code runs wait}: the run ended FAILED. */
  public static final int RUN_FAILED = 10;

  /** {@code runs wait}: the run ended TIMED_OUT. */
  public static final int RUN_TIMED_OUT = 11;

  /** {@code runs wait}: the run ended CANCELED. */
  public static final int RUN_CANCELED = 12;

  /** {@code runs wait}: the run ended SKIPPED. */
  public static final int RUN_SKIPPED = 13;

  /** {@code runs wait}: the run ended with a status this version does not know. */
  public static final int RUN_OTHER = 14;

  private ExitCodes() {}

  /** The exit code of {@code runs wait} for a run that ended with {@code status}. */
  public static int ofRunStatus(String status) {
    return switch (status) {
      case "SUCCEEDED" -> OK;
      case "FAILED" -> RUN_FAILED;
      case "TIMED_OUT" -> RUN_TIMED_OUT;
      case "CANCELED" -> RUN_CANCELED;
      case "SKIPPED" -> RUN_SKIPPED;
      default -> RUN_OTHER;
    };
  }

  /** Whether a run with {@code status} has ended (it will not change any more). */
  public static boolean hasEnded(String status) {
    return !status.equals("PENDING") && !status.equals("RUNNING");
  }
}
