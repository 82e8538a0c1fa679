package dev.caravan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code caravan events ...}: list, show and replay events. */
@Command(
    name = "events",
    description = "Events: list, get, replay.",
    mixinStandardHelpOptions = true,
    subcommands = {
      EventsCommand.ListEvents.class,
      EventsCommand.GetEvent.class,
      EventsCommand.Replay.class
    })
final class EventsCommand {

  @Command(
      name = "list",
      description = "Lists events, newest first.",
      mixinStandardHelpOptions = true)
  static final class ListEvents extends ApiCommand {

    @Option(names = "--source", description = "Only events from this source (github, cron, ...).")
    String source;

    @Option(names = "--type", description = "Only events of this type.")
    String type;

    @Option(names = "--subject", description = "Only events about this subject.")
    String subject;

    @Option(names = "--limit", description = "At most this many (1-500, default 50).")
    Integer limit;

    @Override
    int execute() {
      Map<String, String> query = new LinkedHashMap<>();
      query.put("source", source);
      query.put("type", type);
      query.put("subject", subject);
      query.put("limit", limit == null ? null : limit.toString());
      JsonNode answer = api().get("/api/events", query);
      if (printedAsData(answer)) {
        return ExitCodes.OK;
      }
      printer()
          .fields(
              answer.path("items"),
              List.of("ID", "SOURCE", "TYPE", "SUBJECT", "TIME"),
              "id",
              "source",
              "type",
              "subject",
              "time");
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "get",
      description = "Shows an event (CloudEvents JSON) and its runs.",
      mixinStandardHelpOptions = true)
  static final class GetEvent extends ApiCommand {

    @Parameters(paramLabel = "EVENT", description = "The event's id.")
    String event;

    @Override
    int execute() {
      String path = "/api/events/" + Paths.segment(event);
      JsonNode answer = api().get(path, Map.of());
      if (printedAsData(answer)) {
        return ExitCodes.OK;
      }
      Printer printer = printer();
      for (String field : List.of("id", "source", "type", "subject", "time")) {
        printer.line(String.format("%-8s %s", field, Printer.text(answer, field)));
      }
      if (answer.has("data")) {
        printer.line("data     " + answer.get("data"));
      }
      JsonNode runs = api().get(path + "/runs", Map.of());
      printer.line("");
      List<List<String>> rows = new ArrayList<>();
      runs.path("items").forEach(run -> rows.add(RunsCommand.row(printer, run)));
      printer.table(RunsCommand.COLUMNS, rows);
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "replay",
      description = "Delivers the event again: a new run per subscribed pipeline; prints the runs.",
      mixinStandardHelpOptions = true)
  static final class Replay extends ApiCommand {

    @Parameters(paramLabel = "EVENT", description = "The event's id.")
    String event;

    @Option(
        names = "--keep-succeeded",
        description = "Reuse the steps that succeeded in each pipeline's latest run.")
    boolean keepSucceeded;

    @Override
    int execute() {
      JsonNode answer =
          api()
              .post(
                  "/api/events/" + Paths.segment(event) + "/replay",
                  keepSucceeded ? Map.of("keepSucceeded", "true") : Map.of(),
                  null);
      if (printedAsData(answer)) {
        return ExitCodes.OK;
      }
      printer()
          .fields(
              answer.path("runs"),
              List.of("RUN", "PIPELINE", "REUSES"),
              "id",
              "pipeline",
              "reuseFrom");
      return ExitCodes.OK;
    }
  }
}
