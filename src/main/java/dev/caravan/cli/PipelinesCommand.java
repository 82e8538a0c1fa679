package dev.caravan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code caravan pipelines ...}: list, show and run pipelines. */
@Command(
    name = "pipelines",
    description = "Pipelines: list, get, run.",
    mixinStandardHelpOptions = true,
    subcommands = {
      PipelinesCommand.ListPipelines.class,
      PipelinesCommand.GetPipeline.class,
      PipelinesCommand.RunPipeline.class
    })
final class PipelinesCommand {

  @Command(name = "list", description = "Lists the pipelines.", mixinStandardHelpOptions = true)
  static final class ListPipelines extends ApiCommand {

    @Override
    int execute() {
      JsonNode answer = api().get("/api/pipelines", Map.of());
      if (printedAsData(answer)) {
        return ExitCodes.OK;
      }
      printer()
          .fields(
              answer.path("items"),
              List.of("ID", "SOURCE", "TYPES", "STATUS"),
              "id",
              "source",
              "types",
              "status");
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "get",
      description = "Shows a pipeline and its graph as a tree.",
      mixinStandardHelpOptions = true)
  static final class GetPipeline extends ApiCommand {

    @Parameters(paramLabel = "PIPELINE", description = "The pipeline's id (its route id).")
    String pipeline;

    @Override
    int execute() {
      JsonNode answer = api().get("/api/pipelines/" + Paths.segment(pipeline), Map.of());
      if (printedAsData(answer)) {
        return ExitCodes.OK;
      }
      Printer printer = printer();
      for (String field : List.of("id", "source", "types", "subject", "concurrency", "status")) {
        if (answer.hasNonNull(field)) {
          printer.line(String.format("%-12s %s", field, Printer.text(answer, field)));
        }
      }
      if (answer.path("graph").isObject()) {
        printer.line("");
        new GraphTree(printer).print(answer.get("graph"));
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "run",
      description =
          "Runs a pipeline now with the given event data; prints the run's id, or with --follow"
              + " its log and then exits as `runs wait` does.",
      mixinStandardHelpOptions = true)
  static final class RunPipeline extends ApiCommand {

    @Parameters(paramLabel = "PIPELINE", description = "The pipeline's id (its route id).")
    String pipeline;

    @Option(
        names = {"-d", "--data"},
        paramLabel = "JSON|@FILE|-",
        description = "The event data: JSON text, @file.json, or - for standard input.")
    String data;

    @Option(names = "--type", description = "The event's type (default manual).")
    String type;

    @Option(names = "--subject", description = "The event's subject.")
    String subject;

    @Option(
        names = {"-f", "--follow"},
        description = "Follow the run's log, then exit with the run's ending (see runs wait).")
    boolean follow;

    InputStream stdin = System.in;

    @Override
    int execute() {
      Map<String, String> query = new LinkedHashMap<>();
      query.put("type", type);
      query.put("subject", subject);
      JsonNode answer =
          api().post("/api/pipelines/" + Paths.segment(pipeline) + "/runs", query, body());
      String run = answer.path("run").path("id").asText();
      if (!follow) {
        if (!printedAsData(answer)) {
          printer().line(run);
        }
        return ExitCodes.OK;
      }
      new RunLogs(api(), out()).run(run, true);
      return RunsCommand.waitFor(this, run);
    }

    private String body() {
      if (data == null) {
        return "{}";
      }
      try {
        if (data.equals("-")) {
          return new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (data.startsWith("@")) {
          return Files.readString(Path.of(data.substring(1)), StandardCharsets.UTF_8);
        }
      } catch (IOException e) {
        throw new CliFailure(ExitCodes.USAGE, "cannot read the event data: " + e.getMessage());
      }
      return data;
    }
  }
}
