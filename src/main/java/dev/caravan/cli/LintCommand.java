package dev.caravan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until lint lands. */
@Command(name = "lint", hidden = true)
final class LintCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return ExitCodes.FAILURE;
  }
}
