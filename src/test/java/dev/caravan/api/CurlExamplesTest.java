package dev.caravan.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How RestApiExamplesIT reads the curl examples of a page. */
class CurlExamplesTest {

  @Test
  void joinsContinuationsReadsStatusCommentsAndSkipsExamplesNotRun(@TempDir Path dir)
      throws Exception {
    Path page = dir.resolve("page.md");
    Files.writeString(
        page,
        String.join(
            "\n",
            "# Title",
            "",
            "```sh",
            "curl -s http://127.0.0.1:8080/api/runs",
            "curl -s -X POST http://127.0.0.1:8080/api/runs/<run id>/cancel \\",
            "  -H 'X: y'",
            "# 409 {\"error\":\"conflict\"}",
            "# not run: needs a step called build",
            "curl -sN http://127.0.0.1:8080/api/runs/<run id>/steps/build/logs",
            "```",
            "",
            "```",
            "curl -s http://127.0.0.1:8080/not-sh",
            "```",
            ""));
    List<RestApiExamplesIT.Example> examples = RestApiExamplesIT.examples(page);
    assertThat(examples)
        .extracting(RestApiExamplesIT.Example::command)
        .containsExactly(
            "curl -s http://127.0.0.1:8080/api/runs",
            "curl -s -X POST http://127.0.0.1:8080/api/runs/<run id>/cancel -H 'X: y'");
    assertThat(examples).extracting(RestApiExamplesIT.Example::status).containsExactly(null, 409);
    assertThat(examples).extracting(RestApiExamplesIT.Example::line).containsExactly(4, 5);
  }

  @Test
  void parsesTheRequestOfACurlCommand() {
    RestApiExamplesIT.Example example = new RestApiExamplesIT.Example("p", 1, "", null);
    RestApiExamplesIT.Call call =
        RestApiExamplesIT.parse(
            "curl -sN -H 'Accept: text/event-stream' -d '{\"a\":1}' 'http://h:1/api/x?y=1'",
            example);
    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.url()).isEqualTo("http://h:1/api/x?y=1");
    assertThat(call.body()).isEqualTo("{\"a\":1}");
    assertThat(call.streams()).isTrue();
    assertThat(call.headers())
        .extracting(header -> header[0] + ": " + header[1])
        .containsExactly(
            "Accept: text/event-stream", "Content-Type: application/x-www-form-urlencoded");
  }
}
