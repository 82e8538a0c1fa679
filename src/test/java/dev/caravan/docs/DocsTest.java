package dev.caravan.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documentation holds together: every relative link of {@code README.md}, {@code
 * CONTRIBUTING.md}, {@code docs/} and the Markdown pages under {@code k8s/} leads to a file that
 * exists (and to a heading that exists, for {@code #anchor}s into Markdown), and every setting of
 * the app's {@code application.properties} is documented in the configuration reference.
 */
class DocsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path CONFIGURATION_REFERENCE = Path.of("docs/reference/configuration.md");
  private static final Path APPLICATION_PROPERTIES =
      Path.of("src/main/resources/config/application.properties");

  private static final Pattern INLINE_LINK =
      Pattern.compile(
          "\\[(?:[^\\[\\]]|\\[[^\\]]*\\])*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
  private static final Pattern REFERENCE_DEFINITION =
      Pattern.compile("^ {0,3}\\[[^\\]]+\\]:\\s*<?([^\\s>]+)>?");
  private static final Pattern CODE_SPAN = Pattern.compile("(`+)(?:(?!\\1).)+?\\1");
  private static final Pattern HEADING =
      Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)(?:\\s+#+)?\\s*$");
  private static final Pattern HTML_ANCHOR =
      Pattern.compile("<a\\s+(?:name|id)=\"([^\"]+)\"", Pattern.CASE_INSENSITIVE);
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

  @Test
  void everyRelativeLinkOfTheDocsLeadsToAnExistingFileAndHeading() throws IOException {
    List<Path> pages = documentationPages(ROOT);

    assertThat(pages)
        .contains(
            ROOT.resolve("README.md"),
            ROOT.resolve(CONFIGURATION_REFERENCE),
            ROOT.resolve("k8s/camel-k/README.md"));
    assertThat(brokenLinks(ROOT, pages))
        .as("relative links in README.md, CONTRIBUTING.md, docs/ and k8s/ that lead nowhere")
        .isEmpty();
  }

  @Test
  void everyKeyOfApplicationPropertiesIsDocumentedInTheConfigurationReference() throws IOException {
    Set<String> keys = propertyKeys(ROOT.resolve(APPLICATION_PROPERTIES));
    String reference = Files.readString(ROOT.resolve(CONFIGURATION_REFERENCE));

    assertThat(keys).contains("caravan.api.token", "server.port", "camel.component.kjob.executor");
    assertThat(undocumentedKeys(keys, reference))
        .as("keys of %s missing from %s", APPLICATION_PROPERTIES, CONFIGURATION_REFERENCE)
        .isEmpty();
  }

  @Test
  void reportsMissingFilesMissingAnchorsAndLinksOutOfTheRepository(@TempDir Path root)
      throws IOException {
    Files.createDirectories(root.resolve("docs/reference"));
    Files.writeString(root.resolve("src.txt"), "x");
    Files.writeString(
        root.resolve("README.md"),
        String.join(
            "\n",
            "# Caravan",
            "## The `kjob` component: options, headers & more",
            "## Usage",
            "## Usage",
            "See [kjob](docs/reference/kjob.md#writing-options-in-a-uri) and [up](#usage-1),",
            "[gone](docs/gone.md), [bad anchor](#nowhere), [web](https://example.com/x),",
            "[source](src.txt#L3) and [self](#the-kjob-component-options-headers--more).",
            "```",
            "[inside code](not-checked.md)",
            "```",
            "`[in a span](not-checked-either.md)`"));
    Files.writeString(
        root.resolve("docs/reference/kjob.md"),
        String.join(
            "\n",
            "# kjob",
            "### Writing options in a URI",
            "[back](../../README.md#usage) [wrong depth](../src.txt)",
            "[escape](../../../outside.md)",
            "```yaml",
            "# not a heading",
            "```",
            "[not a heading](#not-a-heading)"));

    List<String> broken = brokenLinks(root, documentationPages(root));

    assertThat(broken)
        .containsExactlyInAnyOrder(
            "README.md: docs/gone.md (no such file)",
            "README.md: #nowhere (no heading with this anchor in README.md)",
            "docs/reference/kjob.md: ../src.txt (no such file)",
            "docs/reference/kjob.md: ../../../outside.md (outside the repository)",
            "docs/reference/kjob.md: #not-a-heading (no heading with this anchor in"
                + " docs/reference/kjob.md)");
  }

  @Test
  void reportsKeysTheConfigurationReferenceDoesNotName() {
    Set<String> keys = new TreeSet<>(List.of("server.port", "caravan.api.token", "caravan.api"));
    String reference = "| `server.port` | ... | see `caravan.api.token-file` and caravan.api. |";

    assertThat(undocumentedKeys(keys, reference)).containsExactly("caravan.api.token");
  }

  @Test
  void anchorsFollowGitHubsHeadingSlugs() {
    assertThat(slug("The `kjob` component")).isEqualTo("the-kjob-component");
    assertThat(slug("`StepReport`: fan-in of steps that may fail"))
        .isEqualTo("stepreport-fan-in-of-steps-that-may-fail");
    assertThat(slug("Runs, logs and the REST API")).isEqualTo("runs-logs-and-the-rest-api");
    assertThat(slug("Set up (Java 17 + Maven, nothing else)"))
        .isEqualTo("set-up-java-17--maven-nothing-else");
    assertThat(slug("Caravan's secrets: `CARAVAN_*` and [files](x.md)"))
        .isEqualTo("caravans-secrets-caravan_-and-files");
    assertThat(slug("The `kjob:<step>` URI <a name=\"uri\"></a>")).isEqualTo("the-kjobstep-uri");
  }

  static List<Path> documentationPages(Path root) throws IOException {
    List<Path> pages = new ArrayList<>();
    for (String page : List.of("README.md", "CONTRIBUTING.md")) {
      if (Files.isRegularFile(root.resolve(page))) {
        pages.add(root.resolve(page));
      }
    }
    for (String folder : List.of("docs", "k8s")) {
      Path docs = root.resolve(folder);
      if (Files.isDirectory(docs)) {
        try (Stream<Path> files = Files.walk(docs)) {
          files.filter(file -> file.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
      }
    }
    return pages;
  }

  static List<String> brokenLinks(Path root, List<Path> pages) throws IOException {
    Map<Path, Set<String>> anchorsByPage = new HashMap<>();
    List<String> broken = new ArrayList<>();
    for (Path page : pages) {
      String name = root.relativize(page).toString();
      for (String link : links(Files.readAllLines(page))) {
        String problem = problemOf(root, page, link, anchorsByPage);
        if (problem != null) {
          broken.add(name + ": " + link + " (" + problem + ")");
        }
      }
    }
    return broken;
  }

  private static String problemOf(
      Path root, Path page, String link, Map<Path, Set<String>> anchorsByPage) throws IOException {
    if (SCHEME.matcher(link).find() || link.startsWith("//")) {
      return null;
    }
    int hash = link.indexOf('#');
    String file =
        URLDecoder.decode(hash < 0 ? link : link.substring(0, hash), StandardCharsets.UTF_8);
    String anchor = hash < 0 ? "" : link.substring(hash + 1);
    Path target =
        file.isEmpty()
            ? page
            : (file.startsWith("/") ? root.resolve(file.substring(1)) : page.resolveSibling(file))
                .normalize();
    if (!target.startsWith(root)) {
      return "outside the repository";
    }
    if (!Files.exists(target)) {
      return "no such file";
    }
    if (anchor.isEmpty() || !target.toString().endsWith(".md") || Files.isDirectory(target)) {
      return null;
    }
    Set<String> anchors = anchorsByPage.get(target);
    if (anchors == null) {
      anchors = anchors(Files.readAllLines(target));
      anchorsByPage.put(target, anchors);
    }
    String decoded = URLDecoder.decode(anchor, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    return anchors.contains(decoded)
        ? null
        : "no heading with this anchor in " + root.relativize(target);
  }

  /** The link targets of a page, outside fenced code blocks and code spans. */
  static List<String> links(List<String> lines) {
    List<String> links = new ArrayList<>();
    for (String line : proseLines(lines)) {
      Matcher definition = REFERENCE_DEFINITION.matcher(line);
      if (definition.find()) {
        links.add(definition.group(1));
        continue;
      }
      Matcher link = INLINE_LINK.matcher(CODE_SPAN.matcher(line).replaceAll(""));
      while (link.find()) {
        links.add(link.group(1));
      }
    }
    return links;
  }

  /** The anchors GitHub gives the headings of a page (duplicates get -1, -2, ...). */
  static Set<String> anchors(List<String> lines) {
    Set<String> anchors = new LinkedHashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    for (String line : proseLines(lines)) {
      Matcher html = HTML_ANCHOR.matcher(line);
      while (html.find()) {
        anchors.add(html.group(1).toLowerCase(Locale.ROOT));
      }
      Matcher heading = HEADING.matcher(line);
      if (heading.matches()) {
        String slug = slug(heading.group(2));
        int count = seen.merge(slug, 1, Integer::sum);
        anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
      }
    }
    return anchors;
  }

  /**
   * GitHub's heading slug: the heading's text (code spans without their backticks, links as their
   * text), lower case, every space a '-', punctuation other than '-' and '_' dropped.
   */
  static String slug(String heading) {
    Matcher codeSpan = CODE_SPAN.matcher(heading);
    StringBuilder withoutCode = new StringBuilder();
    while (codeSpan.find()) {
      String code = codeSpan.group().replace("`", "").replace("<", "").replace(">", "");
      codeSpan.appendReplacement(withoutCode, Matcher.quoteReplacement(code));
    }
    codeSpan.appendTail(withoutCode);
    String text =
        withoutCode
            .toString()
            .replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1")
            .replaceAll("<[^>]+>", "")
            .replace("*", "")
            .strip()
            .toLowerCase(Locale.ROOT);
    StringBuilder slug = new StringBuilder();
    text.codePoints()
        .forEach(
            c -> {
              if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                slug.appendCodePoint(c);
              } else if (c == ' ') {
                slug.append('-');
              }
            });
    return slug.toString();
  }

  private static List<String> proseLines(List<String> lines) {
    List<String> prose = new ArrayList<>();
    String fence = null;
    for (String line : lines) {
      String stripped = line.strip();
      if (fence == null && (stripped.startsWith("```") || stripped.startsWith("~~~"))) {
        fence = stripped.substring(0, 3);
      } else if (fence != null && stripped.startsWith(fence)) {
        fence = null;
      } else if (fence == null) {
        prose.add(line);
      }
    }
    return prose;
  }

  static Set<String> propertyKeys(Path propertiesFile) throws IOException {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(propertiesFile)) {
      properties.load(reader);
    }
    return properties.stringPropertyNames().stream().collect(Collectors.toCollection(TreeSet::new));
  }

  /** The keys the text does not name whole (not as part of a longer key). */
  static List<String> undocumentedKeys(Set<String> keys, String text) {
    return keys.stream()
        .filter(
            key ->
                !Pattern.compile(
                        "(?<![A-Za-z0-9_.-])"
                            + Pattern.quote(key)
                            + "(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])")
                    .matcher(text)
                    .find())
        .collect(Collectors.toList());
  }
}
