package dev.caravan.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.kjob.StepStatus;
import dev.caravan.run.LogTail;
import dev.caravan.run.RunStatus;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CheckOutputTest {

  @Test
  void aLogCannotCloseItsCodeBlock() {
    String block = CheckOutput.block("Log:", "ok\n````\n# injected heading\n");

    assertThat(block).startsWith("\n\nLog:\n\n`````text\nok\n````\n# injected heading\n");
    assertThat(block).endsWith("\n`````");
  }

  @Test
  void keepsTheLastTwentyLinesOfALog() {
    String log =
        IntStream.rangeClosed(1, 30)
            .mapToObj(i -> "line " + i + "\n")
            .collect(Collectors.joining());

    String tail = LogTail.lastLines(log);

    assertThat(tail).startsWith("line 11\n").endsWith("line 30\n");
    assertThat(tail.lines()).hasSize(20);
  }

  @Test
  void keepsAtMostFourKibibytesFromAWholeLine() {
    String log = "x".repeat(3000) + "\n" + "y".repeat(3000) + "\n";

    assertThat(LogTail.lastLines(log)).isEqualTo("y".repeat(3000) + "\n");
  }

  @Test
  void mapsStepAndRunStatusesToGitHubsConclusions() {
    assertThat(CheckOutput.conclusion(StepStatus.SUCCEEDED)).isEqualTo("success");
    assertThat(CheckOutput.conclusion(StepStatus.FAILED)).isEqualTo("failure");
    assertThat(CheckOutput.conclusion(StepStatus.TIMED_OUT)).isEqualTo("timed_out");
    assertThat(CheckOutput.conclusion(StepStatus.CANCELED)).isEqualTo("cancelled");
    assertThat(CheckOutput.conclusion(RunStatus.CANCELED)).isEqualTo("cancelled");
    assertThat(CheckOutput.conclusion(RunStatus.FAILED)).isEqualTo("failure");
    assertThat(CheckOutput.severity("failure")).isGreaterThan(CheckOutput.severity("timed_out"));
    assertThat(CheckOutput.severity("timed_out")).isGreaterThan(CheckOutput.severity("cancelled"));
    assertThat(CheckOutput.severity("cancelled")).isGreaterThan(CheckOutput.severity("success"));
  }
}
