package dev.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code caravan lint}, offline (no server, no Spring): the example pipelines are clean, and a
 * folder of broken files gets every problem with its file and line.
 */
class LintCommandTest {

  private static final String BROKEN = "src/test/resources/lint/broken";

  private record Result(int exitCode, String out, String err) {}

  private static Result lint(String... paths) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] arguments = new String[paths.length + 1];
    arguments[0] = "lint";
    System.arraycopy(paths, 0, arguments, 1, paths.length);
    int code =
        Caravan.commandLine(Map.of(), false, new PrintWriter(out), new PrintWriter(err))
            .execute(arguments);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void theExamplePipelinesAndGatewaysAreClean() {
    Result result = lint("src/main/resources/routes");

    assertThat(result.out()).matches("\\d+ files, \\d+ routes: no problems\n");
    assertThat(result.exitCode()).as(result.err()).isZero();
  }

  @Test
  void reportsEveryProblemOfEveryBrokenFileWithItsLine() {
    Result result = lint(BROKEN);

    assertThat(result.exitCode()).isEqualTo(ExitCodes.FAILURE);
    assertThat(result.out().lines())
        .containsExactly(
            BROKEN
                + "/bad-yaml.yaml:5: while scanning a quoted scalar : uri: \"event:lint?types=a"
                + " found unexpected end of stream",
            BROKEN
                + "/durations-and-quantities.yaml:7: Invalid kjob option timeout=five minutes:"
                + " expected a duration such as 30s or 5m (route lint-bad-duration)",
            BROKEN
                + "/durations-and-quantities.yaml:17: kjob:build: invalid option cpuRequest=lots:"
                + " expected a Kubernetes quantity such as 500m or 256Mi (route lint-bad-quantity)",
            BROKEN + "/ids.yaml:1: the route has no id (a pipeline is identified by its route id)",
            BROKEN
                + "/ids.yaml:12: route id 'lint-twice' is already used at "
                + BROKEN
                + "/ids.yaml:6",
            BROKEN
                + "/missing-script.yaml:6: Cannot find resource:"
                + " classpath:scripts/no-such-script.sh for URI: classpath:scripts/no-such-script.sh"
                + " (route lint-missing-script)",
            BROKEN
                + "/misspelt-option.yaml:6: kjob: unknown option 'scirpt' (did you mean"
                + " 'script'?) (route lint-misspelt-option)",
            BROKEN + "/unknown-step.yaml:7: Unknown node id: frobnicate : - frobnicate");
  }

  @Test
  void aRouteIdOfAnotherFileIsADuplicateToo() {
    Result result = lint(BROKEN + "/valid.yaml", BROKEN + "/valid.yaml");

    assertThat(result.exitCode()).isEqualTo(ExitCodes.FAILURE);
    assertThat(result.out())
        .isEqualTo(
            BROKEN
                + "/valid.yaml:2: route id 'lint-valid' is already used at "
                + BROKEN
                + "/valid.yaml:2\n");
  }

  @Test
  void aCleanFileGetsAOneLineSummary() {
    Result result = lint(BROKEN + "/valid.yaml");

    assertThat(result.exitCode()).as(result.out()).isZero();
    assertThat(result.out()).isEqualTo("1 file, 1 route: no problems\n");
  }

  @Test
  void aMissingPathIsAUsageError() {
    Result result = lint("no/such/routes");

    assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(result.err()).isEqualTo("caravan: no such file or directory: no/such/routes\n");
  }
}
