package dev.caravan.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The option tables of the docs are those of the components' generated metadata. When this fails,
 * regenerate them: {@code mvn -o -q test -Dtest=OptionTablesTest -Dcaravan.docs.write=true}.
 */
class OptionTablesTest {

  private static final Path README = Path.of("README.md");

  @Test
  void theOptionTablesOfTheDocsAreRenderedFromTheComponentsMetadata() throws Exception {
    if (Boolean.getBoolean("caravan.docs.write")) {
      OptionTables.main(new String[] {README.toString()});
    }
    Map<String, String> rendered = OptionTables.render();

    Map<String, String> documented = OptionTables.blocks(Files.readString(README));

    assertThat(documented.keySet())
        .as("the generated blocks of %s", README)
        .containsExactlyInAnyOrderElementsOf(rendered.keySet());
    rendered.forEach(
        (table, markdown) ->
            assertThat(documented.get(table))
                .as(
                    "the table %s of %s; regenerate: mvn -o -q test -Dtest=OptionTablesTest"
                        + " -Dcaravan.docs.write=true",
                    table, README)
                .isEqualTo(markdown));
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
