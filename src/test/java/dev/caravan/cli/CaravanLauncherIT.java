package dev.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real {@code ./caravan} launcher as a process, on the classes and class path file that the
 * build wrote (process-classes runs before the ITs): it starts the command line without Spring.
 */
class CaravanLauncherIT {

  private static final Path LAUNCHER = Path.of("caravan").toAbsolutePath();

  private record Result(int exitCode, String out, String err) {}

  private static Result launch(String... arguments) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
        "./caravan is a bash script and this machine has no bash");
    Path out = Files.createTempFile("caravan-out", ".txt");
    Path err = Files.createTempFile("caravan-err", ".txt");
    List<String> command = new ArrayList<>(List.of("bash", LAUNCHER.toString()));
    command.addAll(List.of(arguments));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().put("NO_COLOR", "1");
    Process process = builder.start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("./caravan ended").isTrue();
    return new Result(process.exitValue(), read(out), read(err));
  }

  private static String read(Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void helpListsEveryCommandAndTheExitCodes() throws Exception {
    Result help = launch("--help");

    assertThat(help.exitCode()).as(help.err()).isZero();
    assertThat(help.out())
        .contains("Usage: caravan")
        .contains("runs", "events", "pipelines", "lint", "version", "completion")
        .contains("CARAVAN_URL", "CARAVAN_API_TOKEN")
        .contains("3 not found", "4 server unreachable", "10 FAILED");
    assertThat(help.err()).doesNotContain("building");
  }

  @Test
  void commandsStartFromAClassDataArchiveWrittenOnceAfterTheBuild() throws Exception {
    Files.deleteIfExists(Path.of("target/caravan-cli.jsa"));

    Result first = launch("version");
    Result second = launch("version");

    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(second.out()).isEqualTo(first.out());
    assertThat(second.err()).as("class data sharing says nothing when it works").isEmpty();
    assertThat(Path.of("target/caravan-cli.jar")).as("the classes packed for it").isRegularFile();
    assertThat(Path.of("target/caravan-cli.jsa"))
        .as("written by the training run before the first")
        .isRegularFile();
  }

  @Test
  void commandsButLintStartOnPicocliAndJacksonAloneAndLintOnTheWholeClassPath() throws Exception {
    assertThat(Files.readString(Path.of("target/caravan-cli-client.classpath")).split(":"))
        .allSatisfy(
            jar ->
                assertThat(Path.of(jar.strip()).getFileName().toString())
                    .matches("(picocli|jackson-[a-z-]+|snakeyaml)-[0-9.]+\\.jar"));

    Result unreachable = launch("runs", "list", "--server", "http://127.0.0.1:1");
    assertThat(unreachable.exitCode()).as(unreachable.err()).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(unreachable.err()).startsWith("caravan: cannot reach").doesNotContain("Exception");

    Result lint = launch("lint", "src/main/resources/routes/examples/hello.yaml");
    assertThat(lint.exitCode()).as(lint.err()).isZero();
  }

  @Test
  void versionPrintsTheBuiltVersionWithoutStartingSpring() throws Exception {
    String version =
        Files.readAllLines(Path.of("target/classes/dev/caravan/cli/caravan-version.properties"))
            .stream()
            .filter(line -> line.startsWith("version="))
            .findFirst()
            .orElseThrow()
            .substring("version=".length());

    Result result = launch("version");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(result.out()).startsWith("caravan " + version + "\n").contains("java 17");
    assertThat(result.out() + result.err()).doesNotContain("Spring", "Started");
    assertThat(launch("runs", "logs", "-V").out()).isEqualTo(result.out());
  }

  @Test
  void anUnknownCommandIsAUsageErrorOnStderr() throws Exception {
    Result result = launch("frobnicate");

    assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(result.err()).contains("Unmatched argument").contains("frobnicate");
    assertThat(List.of(result.out())).containsExactly("");
  }
}
