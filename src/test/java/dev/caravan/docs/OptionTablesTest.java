package dev.caravan.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The option tables of the docs are those of the components' generated metadata. When this fails,
 * regenerate them: {@code mvn -o -q test -Dtest=OptionTablesTest -Dcaravan.docs.write=true}.
 */
class OptionTablesTest {

  @Test
  void theOptionTablesOfTheDocsAreRenderedFromTheComponentsMetadata() throws Exception {
    if (Boolean.getBoolean("caravan.docs.write")) {
      OptionTables.main(new String[0]);
    }
    Map<String, String> rendered = OptionTables.render();

    OptionTables.PAGES.forEach(
        (component, page) -> {
          Map<String, String> documented = OptionTables.blocks(read(page));
          assertThat(documented.keySet())
              .as("the generated blocks of %s", page)
              .containsExactlyInAnyOrderElementsOf(
                  rendered.keySet().stream().filter(t -> t.startsWith(component + "-")).toList());
          documented.forEach(
              (table, markdown) ->
                  assertThat(markdown)
                      .as(
                          "the table %s of %s; regenerate: mvn -o -q test -Dtest=OptionTablesTest"
                              + " -Dcaravan.docs.write=true",
                          table, page)
                      .isEqualTo(rendered.get(table)));
        });
  }

  private static String read(Path page) {
    try {
      return Files.readString(page);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void kjobOptionsShowTheirOverrideHeaderAndCamelsOwnOptionsAreLeftOut() {
    String endpoint = OptionTables.render().get("kjob-endpoint-options");

    assertThat(endpoint)
        .contains("| `timeout` | `1h` | `CaravanTimeout` |")
        .contains("`CaravanTtlSecondsAfterFinished`")
        .contains("| `env.NAME` | — | `CaravanEnv` (Map, merged over the options) |")
        .doesNotContain("lazyStartProducer");
  }
}
