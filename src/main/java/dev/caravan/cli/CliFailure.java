package dev.caravan.cli;

/** A command that cannot go on: its message goes to stderr, its exit code is the process's. */
class CliFailure extends RuntimeException {

  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
