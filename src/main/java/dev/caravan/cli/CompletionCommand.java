package dev.caravan.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code caravan completion}: a bash (and zsh) completion script for every command and option. */
@Command(
    name = "completion",
    description = {
      "Prints a bash/zsh completion script: source <(./caravan completion)",
    },
    mixinStandardHelpOptions = true)
final class CompletionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String script = AutoComplete.bash("caravan", spec.root().commandLine());
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
