package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UnknownOptionsTest {

  private final UnknownOptions options = UnknownOptions.ofEndpoint();

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "scirpt, script",
    "Script, script",
    "scritp, script",
    "imag, image",
    "timout, timeout",
    "cpulimit, cpuLimit",
    "workspce, workspace",
    "evn.TOKEN, env.TOKEN",
    "nodeSelecter.zone, nodeSelector.zone",
    "envFromSecrets, envFromSecret",
  })
  void suggestsTheNearestGeneratedOptionName(String misspelt, String meant) {
    assertThatThrownBy(() -> options.check(Map.of(misspelt, "x")))
        .hasMessage("kjob: unknown option '" + misspelt + "' (did you mean '" + meant + "'?)");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"banana", "q", "zzzzzzzz"})
  void suggestsNothingWhenNoOptionIsNear(String unknown) {
    assertThatThrownBy(() -> options.check(Map.of(unknown, "x")))
        .hasMessage("kjob: unknown option '" + unknown + "'");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"script", "command", "lazyStartProducer", "env.A", "nodeSelector.zone"})
  void acceptsEveryGeneratedOption(String name) {
    options.check(Map.of(name, "x"));

    assertThat(options.suggestion(name)).isEqualTo(name);
  }
}
