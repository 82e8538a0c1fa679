package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShellWordsTest {

  @Test
  void splitsAsAShellDoes() {
    assertThat(
            ShellWords.split(
                "curl -s -X POST 'http://h/a?b=1&c=2' -H \"Authorization: Bearer \\$T\" -d"
                    + " '{\"a\": \"b c\"}' x\\ y   # a comment"))
        .containsExactly(
            "curl",
            "-s",
            "-X",
            "POST",
            "http://h/a?b=1&c=2",
            "-H",
            "Authorization: Bearer $T",
            "-d",
            "{\"a\": \"b c\"}",
            "x y");
  }

  @Test
  void aHashInsideAWordIsNoComment() {
    assertThat(ShellWords.split("curl http://h/a#b 'c'd"))
        .containsExactly("curl", "http://h/a#b", "cd");
  }
}
