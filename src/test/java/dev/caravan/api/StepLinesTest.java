package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.run.JdbcStepJournal;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

class StepLinesTest {

  /** A journal whose one step's log is the given chunks. */
  private static final class Chunks extends JdbcStepJournal {
    private final List<String> chunks = new ArrayList<>();

    Chunks(String... chunks) {
      super(new JdbcDataSource());
      this.chunks.addAll(List.of(chunks));
    }

    @Override
    public List<LogChunk> logChunks(
        String runId, String stepName, String fanOutIndex, int attempt, int afterSeq, int limit) {
      List<LogChunk> found = new ArrayList<>();
      for (int seq = afterSeq + 1; seq < chunks.size() && found.size() < limit; seq++) {
        found.add(new LogChunk(seq, chunks.get(seq)));
      }
      return found;
    }
  }

  private static StepLines lines(StepLines.Position from) {
    return new StepLines("r", "build", "", 1, from);
  }

  @Test
  void aLineIsHandedOutOnceItsNewlineIsStoredAndTheRestWhenTheStepHasEnded() {
    Chunks journal = new Chunks("a\nb", "c\nd");
    StepLines lines = lines(StepLines.Position.START);

    assertThat(lines.read(journal, false, 4))
        .containsExactly(
            new StepLines.Line("a", new StepLines.Position(0, 2)),
            new StepLines.Line("bc", new StepLines.Position(1, 2)));
    assertThat(lines.read(journal, false, 4)).isEmpty();
    assertThat(lines.drained()).isFalse();
    assertThat(lines.read(journal, true, 4))
        .containsExactly(new StepLines.Line("d", new StepLines.Position(2, 0)));
    assertThat(lines.drained()).isTrue();
  }

  @Test
  void aReaderResumedFromAPositionGetsTheLinesAfterItOnly() {
    Chunks journal = new Chunks("a\nb", "c\nd\n", "e\n");
    StepLines.Position afterBc = StepLines.Position.parse("1.2");

    assertThat(lines(afterBc).readAll(journal))
        .extracting(StepLines.Line::text)
        .containsExactly("d", "e");
    assertThat(lines(StepLines.Position.parse("0.2")).readAll(journal))
        .extracting(StepLines.Line::text)
        .containsExactly("bc", "d", "e");
    assertThat(lines(new StepLines.Position(3, 0)).readAll(journal)).isEmpty();
  }

  @Test
  void aLineLongerThanTheLimitComesInPiecesAndPositionsParseBack() {
    String longLine = "x".repeat(StepLines.MAX_LINE + 5);
    Chunks journal = new Chunks(longLine.substring(0, 10000), longLine.substring(10000) + "\n");

    assertThat(lines(StepLines.Position.START).readAll(journal))
        .extracting(line -> line.text().length())
        .containsExactly(StepLines.MAX_LINE, 5);
    assertThat(StepLines.Position.parse("3.17")).isEqualTo(new StepLines.Position(3, 17));
    assertThat(StepLines.Position.parse(new StepLines.Position(3, 17).toString()))
        .isEqualTo(new StepLines.Position(3, 17));
    assertThat(StepLines.Position.parse("x")).isNull();
    assertThat(StepLines.Position.parse("1.-2")).isNull();
  }

  @Test
  void eachLineOfARunsLogIsPrefixedByItsStepIndexAndAttempt() {
    assertThat(new StepLines("r", "build", "", 1, StepLines.Position.START).label())
        .isEqualTo("[build] ");
    assertThat(new StepLines("r", "test", "2", 1, StepLines.Position.START).label())
        .isEqualTo("[test 2] ");
    assertThat(new StepLines("r", "test", "2", 3, StepLines.Position.START).label())
        .isEqualTo("[test 2, attempt 3] ");
  }
}
