package dev.caravan.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code caravan runs ...}: list, show, follow, wait for, cancel, retry and rerun runs. */
@Command(
    name = "runs",
    description = "Runs: list, get, logs, wait, cancel, retry, rerun.",
    mixinStandardHelpOptions = true,
    subcommands = {
      RunsCommand.ListRuns.class,
      RunsCommand.GetRun.class,
      RunsCommand.Logs.class,
      RunsCommand.Wait.class,
      RunsCommand.Cancel.class,
      RunsCommand.Retry.class,
      RunsCommand.Rerun.class
    })
final class RunsCommand {

  static final List<String> COLUMNS = List.of("ID", "PIPELINE", "STATUS", "CREATED", "ENDED");

  static List<String> row(Printer printer, JsonNode run) {
    return List.of(
        Printer.text(run, "id"),
        Printer.text(run, "pipeline"),
        printer.state(Printer.text(run, "status")),
        Printer.text(run, "created"),
        Printer.text(run, "ended"));
  }

  static String path(String run) {
    return "/api/runs/" + Paths.segment(run);
  }

  @Command(
      name = "list",
      description = "Lists runs, newest first.",
      mixinStandardHelpOptions = true)
  static final class ListRuns extends ApiCommand {

    @Option(names = "--pipeline", description = "Only the runs of this pipeline.")
    String pipeline;

    @Option(names = "--status", description = "Only runs with this status (RUNNING, FAILED, ...).")
    String status;

    @Option(names = "--event", description = "Only the runs of this event.")
    String event;

    @Option(names = "--limit", description = "At most this many (1-500, default 50).")
    Integer limit;

    @Option(
        names = {"-w", "--watch"},
        description = "Keep going: print each new run and each change of status.")
    boolean watch;

    @Override
    int execute() {
      Map<String, String> query = new LinkedHashMap<>();
      query.put("pipeline", pipeline);
      query.put("status", status);
      query.put("event", event);
      query.put("limit", limit == null ? null : limit.toString());
      if (watch) {
        return watch(query);
      }
      JsonNode answer = api().get("/api/runs", query);
      if (printedAsData(answer)) {
        return ExitCodes.OK;
      }
      Printer printer = printer();
      List<List<String>> rows = new ArrayList<>();
      answer.path("items").forEach(run -> rows.add(row(printer, run)));
      printer.table(COLUMNS, rows);
      if (answer.hasNonNull("total") && answer.get("total").asLong() > rows.size()) {
        printer.line(rows.size() + " of " + answer.get("total").asLong() + " runs");
      }
      return ExitCodes.OK;
    }

    /**
     * The runs as they are, then a line for each new run and each change of status, as the change
     * stream tells them (opened before the list is read, so that nothing in between is missed).
     */
    private int watch(Map<String, String> query) {
      Map<String, String> streamQuery = new LinkedHashMap<>();
      streamQuery.put("pipeline", pipeline);
      ApiClient api = api();
      InputStream changes = api.events("/api/stream", streamQuery, null);
      Printer printer = printer();
      Map<String, String> seen = new HashMap<>();
      List<List<String>> rows = new ArrayList<>();
      List<JsonNode> items = new ArrayList<>();
      api.get("/api/runs", query).path("items").forEach(items::add);
      Collections.reverse(items);
      for (JsonNode run : items) {
        seen.put(run.path("id").asText(), run.path("status").asText());
        rows.add(row(printer, run));
      }
      printer.table(COLUMNS, rows);
      printer.flush();
      String lastId = null;
      while (!Thread.currentThread().isInterrupted()) {
        // the server closes a stream after an hour: go on from the last change seen
        lastId =
            ServerSentEvents.read(
                changes,
                lastId,
                change -> {
                  if (change.name().equals("run")) {
                    printChange(printer, seen, api.json(), change.data());
                  }
                });
        changes = api.events("/api/stream", streamQuery, lastId);
      }
      return ExitCodes.OK;
    }

    private void printChange(
        Printer printer, Map<String, String> seen, ObjectMapper json, String data) {
      JsonNode run;
      try {
        run = json.readTree(data);
      } catch (JsonProcessingException e) {
        return; // not a run as this version knows it
      }
      String state = run.path("status").asText();
      boolean wanted =
          (status == null || status.equalsIgnoreCase(state))
              && (event == null || event.equals(run.path("event").asText()));
      if (wanted && !state.equals(seen.put(run.path("id").asText(), state))) {
        printer.line(String.join("  ", row(printer, run)).stripTrailing());
        printer.flush();
      }
    }
  }

  @Command(
      name = "get",
      description = "Shows a run: its graph as a tree with each node's state, or its steps.",
      mixinStandardHelpOptions = true)
  static final class GetRun extends ApiCommand {

    @Parameters(paramLabel = "RUN", description = "The run's id.")
    String run;

    @Override
    int execute() {
      JsonNode answer = api().get(path(run), Map.of());
      if (printedAsData(answer)) {
        return ExitCodes.OK;
      }
      Printer printer = printer();
      printer.line("run       " + Printer.text(answer, "id"));
      printer.line("pipeline  " + Printer.text(answer, "pipeline"));
      printer.line("status    " + printer.state(Printer.text(answer, "status")));
      printer.line("event     " + Printer.text(answer, "event"));
      for (String field : List.of("created", "started", "ended", "retryOf", "reuseFrom")) {
        if (answer.hasNonNull(field)) {
          printer.line(String.format("%-9s %s", field, Printer.text(answer, field)));
        }
      }
      if (answer.hasNonNull("concurrencyGroup")) {
        printer.line("group     " + Printer.text(answer, "concurrencyGroup"));
      }
      if (answer.hasNonNull("summary")) {
        printer.line("summary   " + Printer.text(answer, "summary"));
      }
      JsonNode reason = answer.path("reason");
      if (reason.isObject() && reason.hasNonNull("step")) {
        StringBuilder line = new StringBuilder("reason    step ").append(text(reason, "step"));
        if (reason.hasNonNull("index") && !reason.get("index").asText().isEmpty()) {
          line.append('#').append(text(reason, "index"));
        }
        line.append(' ').append(printer.state(text(reason, "status")));
        if (reason.hasNonNull("exitCode")) {
          line.append(" (exit code ").append(text(reason, "exitCode")).append(')');
        }
        printer.line(line.toString());
        reason.path("lines").forEach(log -> printer.line("          | " + log.asText()));
      }
      printer.line("");
      if (answer.path("graph").isObject()) {
        new GraphTree(printer).print(answer.get("graph"));
      } else {
        List<List<String>> rows = new ArrayList<>();
        answer
            .path("steps")
            .forEach(
                step ->
                    rows.add(
                        List.of(
                            Printer.text(step, "name"),
                            Printer.text(step, "fanOutIndex"),
                            Printer.text(step, "attempt"),
                            printer.state(Printer.text(step, "status")),
                            Printer.text(step, "exitCode"),
                            Printer.text(step, "started"),
                            Printer.text(step, "ended"))));
        printer.table(
            List.of("STEP", "INDEX", "ATTEMPT", "STATUS", "EXIT", "STARTED", "ENDED"), rows);
      }
      return ExitCodes.OK;
    }

    private static String text(JsonNode node, String field) {
      return Printer.text(node, field);
    }
  }

  @Command(
      name = "logs",
      description =
          "Prints a step's log, or the whole run's with each line prefixed by its step;"
              + " -f follows it, also a step that has not started yet.",
      mixinStandardHelpOptions = true)
  static final class Logs extends ApiCommand {

    @Parameters(index = "0", paramLabel = "RUN", description = "The run's id.")
    String run;

    @Parameters(index = "1", arity = "0..1", paramLabel = "STEP", description = "The step's name.")
    String step;

    @Option(names = "--index", description = "The step's fan-out index (split item, loop round).")
    String index;

    @Option(
        names = {"-f", "--follow"},
        description = "Follow the log until the step (or the run) ends.")
    boolean follow;

    @Override
    int execute() {
      RunLogs logs = new RunLogs(api(), out());
      if (step == null) {
        logs.run(run, follow);
      } else {
        logs.step(run, step, index, follow);
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "wait",
      description =
          "Blocks until the run ends; the exit code says how: 0 SUCCEEDED, 10 FAILED,"
              + " 11 TIMED_OUT, 12 CANCELED, 13 SKIPPED.",
      mixinStandardHelpOptions = true)
  static final class Wait extends ApiCommand {

    @Parameters(paramLabel = "RUN", description = "The run's id.")
    String run;

    @Override
    int execute() {
      return waitFor(this, run);
    }
  }

  /** Polls the run until it has ended; prints it as it ended; its status as an exit code. */
  static int waitFor(ApiCommand command, String run) {
    JsonNode answer = command.api().get(path(run), Map.of());
    while (!ExitCodes.hasEnded(answer.path("status").asText("RUNNING"))) {
      RunLogs.pause();
      answer = command.api().get(path(run), Map.of());
    }
    if (!command.printedAsData(answer)) {
      Printer printer = command.printer();
      printer.line(
          "run "
              + Printer.text(answer, "id")
              + " of "
              + Printer.text(answer, "pipeline")
              + " "
              + printer.state(Printer.text(answer, "status")));
    }
    return ExitCodes.ofRunStatus(answer.path("status").asText());
  }

  @Command(
      name = "cancel",
      description = "Cancels a run: its running steps are stopped.",
      mixinStandardHelpOptions = true)
  static final class Cancel extends ApiCommand {

    @Parameters(paramLabel = "RUN", description = "The run's id.")
    String run;

    @Override
    int execute() {
      JsonNode answer = api().post(path(run) + "/cancel", Map.of(), null);
      if (!printedAsData(answer)) {
        Printer printer = printer();
        String stopped = Printer.text(answer, "stopped");
        printer.line(
            "run "
                + Printer.text(answer, "id")
                + " "
                + printer.state(Printer.text(answer, "status"))
                + (stopped.isEmpty() ? "" : "; stopped " + stopped));
      }
      return ExitCodes.OK;
    }
  }

  /** retry and rerun: a new run of the same pipeline for the same event. */
  abstract static class Again extends ApiCommand {

    @Parameters(paramLabel = "RUN", description = "The run's id (it must have ended).")
    String run;

    abstract String action();

    @Override
    int execute() {
      JsonNode answer = api().post(path(run) + "/" + action(), Map.of(), null);
      if (!printedAsData(answer)) {
        printer().line(Printer.text(answer, "id"));
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "retry",
      description =
          "Starts a new run for the same event that reuses the steps that succeeded; prints its id.",
      mixinStandardHelpOptions = true)
  static final class Retry extends Again {
    @Override
    String action() {
      return "retry";
    }
  }

  @Command(
      name = "rerun",
      description = "Starts a new run for the same event, every step afresh; prints its id.",
      mixinStandardHelpOptions = true)
  static final class Rerun extends Again {
    @Override
    String action() {
      return "rerun";
    }
  }
}
