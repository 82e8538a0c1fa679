package dev.caravan.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FormBodiesTest {

  private static boolean parses(String body) {
    return FormBodies.parses(body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void pairsWithValidEscapesParse() {
    assertThat(parses("")).isTrue();
    assertThat(parses("payload=%7B%22a%22%3A1%7D")).isTrue();
    assertThat(parses("a=b&c=&d=e=f&")).isTrue();
    assertThat(parses("a=b+c&x=%c3%A9&y=é")).isTrue();
    assertThat(parses("&")).isTrue();
  }

  @Test
  void whatPlatformHttpCannotParseIsRefused() {
    assertThat(parses("payload=%ZZ")).isFalse();
    assertThat(parses("payload=%")).isFalse();
    assertThat(parses("payload=%4")).isFalse();
    assertThat(parses("pay%G1load=x")).isFalse();
    assertThat(parses("{\"a\":1}")).isFalse();
    assertThat(parses("a=b&&c=d")).isFalse();
    assertThat(parses("a=b&c")).isFalse();
    assertThat(parses("=b")).isFalse();
  }

  @Test
  void aBodyAtTheSizeLimitIsScannedWithoutRecursion() {
    String big = "a=" + "%41".repeat(3_000_000) + "&b=c".repeat(500_000);

    assertThat(parses(big)).isTrue();
    assertThat(parses(big + "&%")).isFalse();
  }
}
