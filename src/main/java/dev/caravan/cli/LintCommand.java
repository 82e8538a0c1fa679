package dev.caravan.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code caravan lint FILE|DIR...}: every problem the app would hit at route start, offline, as
 * {@code file:line: message} on stdout; exit code 1 when any, 0 and a one-line summary when none.
 */
@Command(
    name = "lint",
    description =
        "Checks route files offline, as the app loads them at route start: prints file:line:"
            + " message per problem (exit code 1), or a one-line summary (exit code 0).",
    mixinStandardHelpOptions = true)
final class LintCommand implements Callable<Integer> {

  @Parameters(
      arity = "1..*",
      paramLabel = "FILE|DIR",
      description = "Route files (.yaml, .yml), or directories searched for them.")
  List<Path> paths;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    List<Path> files = new ArrayList<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        try (Stream<Path> found = Files.walk(path)) {
          found.filter(LintCommand::isRouteFile).sorted().forEach(files::add);
        }
      } else if (Files.isRegularFile(path)) {
        files.add(path);
      } else {
        throw new CliFailure(ExitCodes.USAGE, "no such file or directory: " + path);
      }
    }
    int problems = 0;
    try (RouteLinter linter = new RouteLinter(Caravan.of(spec).environment())) {
      for (Path file : files) {
        for (RouteLinter.Problem problem : linter.lint(file)) {
          out.println(problem);
          problems++;
        }
      }
      if (problems == 0) {
        out.println(
            count(files.size(), "file") + ", " + count(linter.routes(), "route") + ": no problems");
      }
    }
    out.flush();
    return problems == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
  }

  private static String count(int count, String what) {
    return count + " " + what + (count == 1 ? "" : "s");
  }

  private static boolean isRouteFile(Path path) {
    String name = path.getFileName().toString();
    return Files.isRegularFile(path) && (name.endsWith(".yaml") || name.endsWith(".yml"));
  }
}
