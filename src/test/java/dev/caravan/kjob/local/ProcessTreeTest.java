package dev.caravan.kjob.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Both ways a step's process starts behave the same to the executor. */
class ProcessTreeTest {

  interface Starter {
    Process start(List<String> command, Map<String, String> environment, Path directory)
        throws IOException;
  }

  record Way(String name, Starter starter) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Way> ways() {
    Stream<Way> fallback =
        Stream.of(new Way("ProcessBuilder and setsid", ProcessTree::startThroughSetsid));
    return SessionSpawn.get()
        .map(
            spawn ->
                Stream.concat(Stream.of(new Way("posix_spawn", ProcessTree::startStep)), fallback))
        .orElse(fallback);
  }

  @TempDir Path dir;

  @ParameterizedTest
  @MethodSource("ways")
  void startsInTheDirectoryWithExactlyTheEnvironmentAndMergesStandardError(Way way)
      throws Exception {
    Process process =
        way.starter()
            .start(
                List.of(
                    "/bin/sh", "-c", "pwd; echo \"$ONLY\"; echo \"${HOME-unset}\"; echo oops >&2"),
                Map.of("ONLY", "it"),
                dir);

    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(ProcessTree.awaitExit(process)).isZero();
    assertThat(output.lines().toList())
        .containsExactly(dir.toRealPath().toString(), "it", "unset", "oops");
    assertThat(ProcessTree.isStartedByCaravan(process.pid())).isFalse();
  }

  @ParameterizedTest
  @MethodSource("ways")
  void leadsItsOwnSessionAndIsTrackedUntilItsExitIsSeen(Way way) throws Exception {
    assumeThat(ProcessTree.stepsLeadTheirGroups()).as("setsid or posix_spawn").isTrue();
    Process process =
        way.starter()
            .start(
                List.of("/bin/sh", "-c", "echo ready; read line; echo \"$line\""), Map.of(), dir);
    BufferedReader output =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    // once the shell speaks, whatever made its session is done
    assertThat(output.readLine()).isEqualTo("ready");
    ProcFs.Stat stat = ProcFs.stat(process.pid()).orElseThrow();

    assertThat(ProcessTree.isStartedByCaravan(process.pid())).isTrue();
    assertThat(stat.session()).isEqualTo(process.pid());
    assertThat(stat.pgrp()).isEqualTo(process.pid());
    try (OutputStream input = process.getOutputStream()) {
      input.write("hello\n".getBytes(StandardCharsets.UTF_8));
    }
    assertThat(output.readLine()).isEqualTo("hello");
    assertThat(output.readLine()).isNull();
    assertThat(ProcessTree.awaitExit(process)).isZero();
    assertThat(process.isAlive()).isFalse();
    assertThat(ProcessTree.isStartedByCaravan(process.pid())).isFalse();
  }

  @ParameterizedTest
  @MethodSource("ways")
  void reportsAKillAsJavaDoes(Way way) throws Exception {
    Process process = way.starter().start(List.of("/bin/sh", "-c", "sleep 30"), Map.of(), dir);

    assertThat(process.isAlive()).isTrue();
    ProcessTree.kill(process);

    assertThat(ProcessTree.awaitExit(process)).isEqualTo(128 + 9);
    assertThat(process.exitValue()).isEqualTo(128 + 9);
  }

  @Test
  void aProgramThatIsNotThereFailsToStartNamingItWhenSpawnedDirectly() {
    SessionSpawn spawn = SessionSpawn.get().orElse(null);
    assumeThat(spawn).as("posix_spawn with a new session (glibc 2.34 or later)").isNotNull();

    assertThatThrownBy(() -> spawn.start(List.of("no-such-program-here"), Map.of(), dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Cannot run program \"no-such-program-here\"")
        .hasMessageContaining("No such file or directory");
  }

  @Test
  void aProgramThatIsNotThereExitsWith127NamingItThroughSetsid() throws Exception {
    Process process =
        ProcessTree.startThroughSetsid(List.of("no-such-program-here"), Map.of(), dir);

    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(ProcessTree.awaitExit(process)).isEqualTo(127);
    assertThat(output).contains("no-such-program-here");
  }
}
