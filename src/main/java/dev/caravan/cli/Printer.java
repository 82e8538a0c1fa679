package dev.caravan.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Tables, trees, states in colour (on a terminal only), and answers as JSON or YAML. */
final class Printer {

  private static final String RESET = "\u001b[0m";

  private final PrintWriter out;
  private final boolean colours;
  private final ObjectMapper json;

  Printer(PrintWriter out, boolean colours, ObjectMapper json) {
    this.out = out;
    this.colours = colours;
    this.json = json;
  }

  void data(JsonNode answer, GlobalOptions.OutputFormat format) {
    try {
      if (format == GlobalOptions.OutputFormat.yaml) {
        ObjectMapper yaml =
            new ObjectMapper(
                new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
        out.print(yaml.writeValueAsString(answer));
      } else {
        out.println(
            json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer));
      }
    } catch (JsonProcessingException e) {
      throw new CliFailure(ExitCodes.FAILURE, "cannot write the answer: " + e.getMessage());
    }
  }

  /** A state (PENDING, RUNNING, SUCCEEDED, ...) coloured by what it means. */
  String state(String state) {
    if (!colours || state == null || state.isEmpty()) {
      return state == null ? "" : state;
    }
    String colour =
        switch (state) {
          case "SUCCEEDED" -> "\u001b[32m";
          case "FAILED", "TIMED_OUT" -> "\u001b[31m";
          case "RUNNING", "QUEUED" -> "\u001b[36m";
          case "CANCELED", "SKIPPED" -> "\u001b[33m";
          default -> "\u001b[2m";
        };
    return colour + state + RESET;
  }

  /** Rows under a header, each column as wide as its widest cell (colour codes not counted). */
  void table(List<String> header, List<List<String>> rows) {
    int[] widths = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], visible(row.get(i)).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        String cell = row.get(i);
        line.append(cell);
        if (i < row.size() - 1) {
          line.append(" ".repeat(widths[i] - visible(cell).length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** A table of the items, one row each, a column per field (as {@link #text}). */
  void fields(JsonNode items, List<String> header, String... fields) {
    List<List<String>> rows = new ArrayList<>();
    items.forEach(item -> rows.add(Arrays.stream(fields).map(field -> text(item, field)).toList()));
    table(header, rows);
  }

  void line(String text) {
    out.println(text);
  }

  void flush() {
    out.flush();
  }

  private static String visible(String cell) {
    return cell.replaceAll("\u001b\\[[0-9;]*m", "");
  }

  /** A JSON field as table text: empty for missing or null, arrays joined with commas. */
  static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return "";
    }
    if (value.isArray()) {
      List<String> parts = new ArrayList<>();
      value.forEach(element -> parts.add(element.asText()));
      return String.join(",", parts);
    }
    return value.asText();
  }
}
