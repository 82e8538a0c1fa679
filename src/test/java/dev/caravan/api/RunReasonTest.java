package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.run.LogTail;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The last lines of a step's log that a run's reason shows: at most 20 lines and 4 KiB. */
class RunReasonTest {

  @Test
  void keepsTheLastTwentyLines() {
    String log =
        IntStream.rangeClosed(1, 30)
            .mapToObj(i -> "line " + i + "\n")
            .collect(Collectors.joining());

    assertThat(LogTail.lastLines(log).lines())
        .hasSize(20)
        .startsWith("line 11")
        .endsWith("line 30");
    assertThat(LogTail.lastLines("only\n")).isEqualTo("only\n");
    assertThat(LogTail.lastLines("no line feed")).isEqualTo("no line feed");
    assertThat(LogTail.lastLines("")).isEmpty();
  }

  @Test
  void keepsAtMostFourKibibytesFromAWholeLine() {
    String log = ("x".repeat(999) + "\n").repeat(10) + "the end\n";

    String last = LogTail.lastLines(log);

    assertThat(last.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096);
    assertThat(last).isEqualTo(("x".repeat(999) + "\n").repeat(4) + "the end\n");
  }

  @Test
  void keepsTheWholeCharactersAtTheEndOfOneLongLine() {
    String log = "ü".repeat(5000) + "!";

    String last = LogTail.lastLines(log);

    assertThat(last.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096);
    assertThat(last).endsWith("ü!").matches("ü+!");
    assertThat(last).hasSize(2048);
  }
}
