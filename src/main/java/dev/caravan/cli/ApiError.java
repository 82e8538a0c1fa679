package dev.caravan.cli;

/** An answer of the REST API that is not a 2xx: its status and the API's {@code error}/detail. */
final class ApiError extends CliFailure {

  private final int status;

  ApiError(int status, String message) {
    super(exitCode(status), message);
    this.status = status;
  }

  int status() {
    return status;
  }

  private static int exitCode(int status) {
    return switch (status) {
      case 404 -> ExitCodes.NOT_FOUND;
      case 401, 403 -> ExitCodes.UNAUTHORIZED;
      default -> ExitCodes.FAILURE;
    };
  }
}
