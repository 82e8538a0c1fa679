package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StepOutputTest {

  private static void write(StepOutput output, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    output.write(bytes, 0, bytes.length);
  }

  @Test
  void outputUnderTheCapIsKeptWhole() {
    StepOutput output = new StepOutput(20);
    write(output, "0123456789");
    write(output, "abcdefghij");

    assertThat(output.text()).isEqualTo("0123456789abcdefghij");
    assertThat(output.dropped()).isZero();
  }

  @Test
  void outputOverTheCapKeepsTheFirstAndLastHalfWithAMarkerSayingHowMuchWentMissing() {
    StepOutput output = new StepOutput(10);
    for (int line = 1; line <= 1000; line++) {
      write(output, line + "\n");
    }

    String text = output.text();
    long total = output.size();
    assertThat(text).isEqualTo("1\n2\n3\n" + StepOutput.marker(total - 10) + "1000\n");
    assertThat(output.dropped()).isEqualTo(total - 10);
  }

  @Test
  void aWriteLargerThanTheTailLeavesItsOwnEnd() {
    StepOutput output = new StepOutput(8);
    write(output, "head");
    write(output, "x".repeat(100) + "tail");

    assertThat(output.text()).isEqualTo("head\n" + StepOutput.marker(100) + "tail");
  }

  @Test
  void aHundredMegabytesThroughASmallKeeperLeaveHeadMarkerAndTail() throws Exception {
    StepOutput output = new StepOutput(1024);
    InputStream hundredMegabytes =
        new InputStream() {
          long left = 100_000_000;

          @Override
          public int read() {
            return left-- > 0 ? 'a' : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left <= 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(b, off, off + n, (byte) (left <= n ? 'z' : 'a'));
            left -= n;
            return n;
          }
        };

    output.drain(hundredMegabytes);

    String text = output.text();
    assertThat(text).startsWith("a".repeat(512) + "\n" + StepOutput.marker(100_000_000 - 1024));
    assertThat(text.length()).isEqualTo(1024 + 1 + StepOutput.marker(100_000_000 - 1024).length());
    assertThat(text).endsWith("\n" + "z".repeat(512));
  }

  @Test
  void newOutputIsHandedOutOnceAsAPrefixOfTheFinalText() {
    StepOutput output = new StepOutput(40);
    StringBuilder taken = new StringBuilder();
    write(output, "one\n");
    taken.append(output.takeNew());
    assertThat(taken).hasToString("one\n");
    assertThat(output.takeNew()).as("nothing new").isEmpty();
    write(output, "two\n");
    taken.append(output.takeNew());
    for (int i = 0; i < 20; i++) {
      write(output, "line " + i + "\n");
      taken.append(output.takeNew());
    }

    assertThat(taken.length()).as("only the head is live").isEqualTo(20);
    assertThat(output.text()).startsWith(taken.toString());
  }

  @Test
  void multiByteCharactersAreNeverCutInHalf() {
    // "é" is 2 bytes, "✓" 3 bytes: the head's end (8 bytes) and the tail's start fall inside a ✓
    StepOutput output = new StepOutput(16);
    write(output, "éé✓");
    write(output, "✓".repeat(20) + "éé");
    String live = output.takeNew();

    String text = output.text();
    assertThat(live).isEqualTo("éé✓");
    assertThat(text).doesNotContain("\uFFFD").startsWith("éé✓\n[caravan: ").endsWith("]\n✓éé");
    assertThat(text).startsWith(live);
  }

  @Test
  void aCharacterSplitAcrossWritesIsHandedOutWhole() {
    StepOutput output = new StepOutput(100);
    byte[] check = "✓".getBytes(StandardCharsets.UTF_8);
    output.write(check, 0, 2);
    assertThat(output.takeNew()).isEmpty();
    output.write(check, 2, 1);

    assertThat(output.takeNew()).isEqualTo("✓");
  }

  @Test
  void drainReadsTheWholeStream() throws Exception {
    StepOutput output = new StepOutput(100);
    output.drain(new ByteArrayInputStream("a\nb\n".getBytes(StandardCharsets.UTF_8)));

    assertThat(output.text()).isEqualTo("a\nb\n");
  }
}
