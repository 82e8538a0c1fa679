package dev.caravan.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code caravan}, the command line of Caravan (docs/reference/cli.md): a client of the REST API
 * and an offline linter of route files. Started by {@code ./caravan}; never starts Spring.
 */
@Command(
    name = "caravan",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Lists, follows, waits for and steers Caravan's runs; lints pipelines offline.",
    footerHeading = "%nEnvironment:%n",
    footer = {
      "  CARAVAN_URL        the server (default http://127.0.0.1:8080), like --server",
      "  CARAVAN_API_TOKEN  the API token, like --token",
      "  NO_COLOR           no colours, even on a terminal",
      "",
      "Exit codes: 0 done (wait: SUCCEEDED), 1 refused by the server or lint problems,"
          + " 2 bad usage, 3 not found, 4 server unreachable, 5 unauthorized,"
          + " 10 FAILED, 11 TIMED_OUT, 12 CANCELED, 13 SKIPPED, 14 other ending."
    })
public final class Caravan implements Runnable {

  /**
   * The commands, by name. picocli builds the model of every command it is given by reflection,
   * which is most of a start: a command line run with one of these is given that one only.
   */
  private static final Map<String, Class<?>> COMMANDS = commands();

  private static Map<String, Class<?>> commands() {
    Map<String, Class<?>> commands = new LinkedHashMap<>();
    commands.put("runs", RunsCommand.class);
    commands.put("events", EventsCommand.class);
    commands.put("pipelines", PipelinesCommand.class);
    commands.put("lint", LintCommand.class);
    commands.put("version", VersionCommand.class);
    commands.put("completion", CompletionCommand.class);
    commands.put("help", CommandLine.HelpCommand.class);
    return commands;
  }

  private final Map<String, String> environment;
  private final boolean terminal;

  @Spec CommandSpec spec;

  Caravan(Map<String, String> environment, boolean terminal) {
    this.environment = environment;
    this.terminal = terminal;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int code =
        commandLine(System.getenv(), System.console() != null, out, err, commandsFor(args))
            .execute(args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * The command line with its streams and environment: what {@link #main} runs, and what tests
   * execute in-process.
   */
  public static CommandLine commandLine(
      Map<String, String> environment, boolean terminal, PrintWriter out, PrintWriter err) {
    return commandLine(environment, terminal, out, err, COMMANDS.keySet());
  }

  /**
   * The commands these arguments need: the one they name, or all of them (for the root's usage, a
   * misspelt command's suggestions, {@code help} and {@code completion}, which list them all).
   */
  static Collection<String> commandsFor(String[] args) {
    if (args.length > 0
        && COMMANDS.containsKey(args[0])
        && !args[0].equals("help")
        && !args[0].equals("completion")) {
      return List.of(args[0]);
    }
    return COMMANDS.keySet();
  }

  private static CommandLine commandLine(
      Map<String, String> environment,
      boolean terminal,
      PrintWriter out,
      PrintWriter err,
      Collection<String> commands) {
    Caravan caravan = new Caravan(environment, terminal);
    CommandLine commandLine = new CommandLine(caravan);
    commands.forEach(name -> commandLine.addSubcommand(COMMANDS.get(name)));
    // --data @event.json is the file's content for the command, not a picocli argument file
    commandLine.setExpandAtFiles(false);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setColorScheme(
        CommandLine.Help.defaultColorScheme(caravan.colours() ? Ansi.ON : Ansi.OFF));
    versionEverywhere(commandLine);
    commandLine.setExecutionExceptionHandler(
        (exception, failed, parsed) -> {
          if (exception instanceof CliFailure failure) {
            failed.getErr().println("caravan: " + failure.getMessage());
            failed.getErr().flush();
            return failure.exitCode();
          }
          failed.getErr().println("caravan: " + exception);
          failed.getErr().flush();
          return ExitCodes.FAILURE;
        });
    return commandLine;
  }

  /** {@code -V} of every subcommand prints what {@code caravan version} prints. */
  private static void versionEverywhere(CommandLine commandLine) {
    commandLine.getCommandSpec().versionProvider(new VersionCommand.Provider());
    commandLine.getSubcommands().values().forEach(Caravan::versionEverywhere);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  Map<String, String> environment() {
    return environment;
  }

  /** Colours only on a terminal, and never with {@code NO_COLOR} set. */
  boolean colours() {
    return terminal && environment.get("NO_COLOR") == null;
  }

  /** The root command's object, from any command's spec. */
  static Caravan of(CommandSpec spec) {
    return (Caravan) spec.root().userObject();
  }
}
