package dev.caravan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pipeline's or a run's {@code graph} as an indented tree: one line per node (its kind, its name
 * or label, its state when the run's graph has one), split items and counts under their node.
 */
final class GraphTree {

  private final Printer printer;

  GraphTree(Printer printer) {
    this.printer = printer;
  }

  void print(JsonNode root) {
    printer.line(describe(root));
    printChildren(root, "");
  }

  private void printChildren(JsonNode node, String indent) {
    List<String> extra = items(node);
    JsonNode children = node.path("children");
    int count = children.isArray() ? children.size() : 0;
    for (String line : extra) {
      printer.line(indent + (count == 0 ? "   " : "│  ") + line);
    }
    for (int i = 0; i < count; i++) {
      JsonNode child = children.get(i);
      boolean last = i == count - 1;
      printer.line(indent + (last ? "└─ " : "├─ ") + describe(child));
      printChildren(child, indent + (last ? "   " : "│  "));
    }
  }

  private String describe(JsonNode node) {
    String kind = node.path("kind").asText("other");
    String name = node.path("name").asText("");
    String label = node.path("label").asText("");
    StringBuilder line = new StringBuilder(kind);
    if (!name.isEmpty()) {
      line.append(' ').append(name);
    }
    if (!label.isEmpty() && !label.equals(name)) {
      line.append(" (").append(label).append(')');
    }
    if (node.hasNonNull("state")) {
      line.append("  ").append(printer.state(node.get("state").asText()));
    }
    return line.toString();
  }

  /** A fan-out node's counts per state and its items, when the run's graph has them. */
  private List<String> items(JsonNode node) {
    List<String> lines = new ArrayList<>();
    JsonNode counts = node.path("counts");
    if (counts.isObject() && counts.size() > 0) {
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, JsonNode> count : counts.properties()) {
        parts.add(printer.state(count.getKey()) + " " + count.getValue().asText());
      }
      lines.add("counts: " + String.join(", ", parts));
    }
    JsonNode items = node.path("items");
    if (items.isArray() && items.size() > 0) {
      List<String> parts = new ArrayList<>();
      items.forEach(
          item ->
              parts.add(
                  "#"
                      + item.path("index").asText()
                      + " "
                      + printer.state(item.path("state").asText())));
      lines.add("items: " + String.join(", ", parts));
    }
    return lines;
  }
}
