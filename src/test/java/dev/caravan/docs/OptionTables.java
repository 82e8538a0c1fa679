package dev.caravan.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders the option and header tables of the kjob and event components from the JSON metadata that
 * Camel's build plugin generates ({@code META-INF/dev/caravan/<name>/<name>.json}), into the blocks
 * of a markdown file between {@code <!-- generated:<table> -->} and {@code <!-- end -->}. Tables:
 * {@code kjob-endpoint-options}, {@code kjob-component-options}, {@code kjob-headers} and the same
 * three for {@code event}.
 *
 * <p>The kjob tables live in {@code docs/reference/kjob.md}, the event tables in {@code
 * docs/reference/event.md}. Regenerate after changing an option, a header or its javadoc: {@code
 * mvn -o -q test -Dtest=OptionTablesTest -Dcaravan.docs.write=true} (rewrites the blocks of both
 * pages), then commit them and src/generated.
 */
public final class OptionTables {

  /** Options every Camel component has; Camel's documentation describes them. */
  static final Set<String> CAMEL_OPTIONS =
      Set.of(
          "lazyStartProducer",
          "bridgeErrorHandler",
          "exceptionHandler",
          "exchangePattern",
          "autowiredEnabled");

  private static final Pattern BLOCK =
      Pattern.compile("<!-- generated:([a-z-]+) -->\\n(.*?)<!-- end -->", Pattern.DOTALL);
  private static final Pattern DEFAULT_NOTE = Pattern.compile("\\s*Default value notice: (.*)$");
  private static final Pattern MULTI_VALUE =
      Pattern.compile("\\s*This is a multi-value option with prefix: \\S+");
  private static final Pattern CODE = Pattern.compile("\\{code ([^{}]*)}");

  private OptionTables() {}

  /** Every table, by the name of its block. */
  public static Map<String, String> render() {
    Map<String, String> tables = new LinkedHashMap<>();
    for (String component : new String[] {"kjob", "event"}) {
      JsonNode metadata = metadata(component);
      boolean headerRule = component.equals("kjob");
      tables.put(
          component + "-endpoint-options",
          options(metadata.get("properties"), headerRule ? OptionTables::overrideHeader : null));
      tables.put(
          component + "-component-options", options(metadata.get("componentProperties"), null));
      tables.put(component + "-headers", headers(metadata.get("headers")));
    }
    return tables;
  }

  /** The blocks of the markdown text, by name. */
  public static Map<String, String> blocks(String markdown) {
    Map<String, String> blocks = new LinkedHashMap<>();
    Matcher block = BLOCK.matcher(markdown);
    while (block.find()) {
      blocks.put(block.group(1), block.group(2));
    }
    return blocks;
  }

  /** The markdown text with every block it has replaced by its rendering. */
  public static String rewrite(String markdown) {
    Map<String, String> tables = render();
    Matcher block = BLOCK.matcher(markdown);
    StringBuilder out = new StringBuilder();
    while (block.find()) {
      String table = tables.get(block.group(1));
      if (table == null) {
        throw new IllegalArgumentException("No table named " + block.group(1));
      }
      block.appendReplacement(
          out,
          Matcher.quoteReplacement(
              "<!-- generated:" + block.group(1) + " -->\n" + table + "<!-- end -->"));
    }
    block.appendTail(out);
    return out.toString();
  }

  /** The page that holds the tables of each component. */
  public static final Map<String, Path> PAGES =
      Map.of(
          "kjob", Path.of("docs/reference/kjob.md"), "event", Path.of("docs/reference/event.md"));

  /** Rewrites the blocks of the named files (the pages of {@link #PAGES} unless named). */
  public static void main(String[] args) throws IOException {
    List<Path> files =
        args.length > 0 ? Arrays.stream(args).map(Path::of).toList() : List.copyOf(PAGES.values());
    for (Path file : files) {
      Files.writeString(file, rewrite(Files.readString(file)), StandardCharsets.UTF_8);
    }
  }

  private static JsonNode metadata(String component) {
    String path = "/META-INF/dev/caravan/" + component + "/" + component + ".json";
    try (InputStream json = OptionTables.class.getResourceAsStream(path)) {
      if (json == null) {
        throw new IllegalStateException(path + " is not on the class path: build first");
      }
      return new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String options(JsonNode options, Function<String, String> header) {
    StringBuilder table = new StringBuilder();
    table.append(
        header == null
            ? "| option | default | description |\n|---|---|---|\n"
            : "| option | default | header | description |\n|---|---|---|---|\n");
    options
        .fields()
        .forEachRemaining(
            entry -> {
              String name = entry.getKey();
              JsonNode option = entry.getValue();
              if (CAMEL_OPTIONS.contains(name)) {
                return;
              }
              String description = option.path("description").asText();
              String defaultValue = "—";
              Matcher note = DEFAULT_NOTE.matcher(description);
              if (note.find()) {
                defaultValue = note.group(1).trim();
                description = description.substring(0, note.start());
              } else if (option.has("defaultValue")) {
                defaultValue = "`" + option.get("defaultValue").asText() + "`";
              }
              description = MULTI_VALUE.matcher(description).replaceAll("");
              String shown =
                  option.has("prefix")
                      ? "`" + placeholder(option.get("prefix").asText(), description) + "`"
                      : "`" + name + "`";
              if ("path".equals(option.path("kind").asText())) {
                shown += " (path)";
              }
              table.append("| ").append(shown).append(" | ").append(defaultValue).append(" | ");
              if (header != null) {
                table.append(header.apply(name)).append(" | ");
              }
              table.append(cell(description)).append(" |\n");
            });
    return table.toString();
  }

  /** How the description spells one option of a prefix ({@code env.NAME}), else prefix + NAME. */
  private static String placeholder(String prefix, String description) {
    Matcher spelt = Pattern.compile(Pattern.quote(prefix) + "[A-Z]+").matcher(description);
    return spelt.find() ? spelt.group() : prefix + "NAME";
  }

  /** The kjob rule: Caravan + the option's name, its first letter upper-cased. */
  private static String overrideHeader(String option) {
    String header =
        "`Caravan" + Character.toUpperCase(option.charAt(0)) + option.substring(1) + "`";
    return switch (option) {
      case "stepName" -> "—";
      case "env" -> header + " (Map, merged over the options)";
      case "nodeSelector" -> header + " (Map, replaces the options)";
      default -> header;
    };
  }

  private static String headers(JsonNode headers) {
    StringBuilder table = new StringBuilder("| header | type | description |\n|---|---|---|\n");
    headers
        .fields()
        .forEachRemaining(
            entry -> {
              String type = entry.getValue().path("javaType").asText();
              table
                  .append("| `")
                  .append(entry.getKey())
                  .append("` | `")
                  .append(type.substring(type.lastIndexOf('.') + 1))
                  .append("` | ")
                  .append(cell(entry.getValue().path("description").asText()))
                  .append(" |\n");
            });
    return table.toString();
  }

  private static String cell(String text) {
    return CODE.matcher(text.trim())
        .replaceAll(match -> Matcher.quoteReplacement("`" + match.group(1) + "`"))
        .replace("|", "\\|");
  }
}
