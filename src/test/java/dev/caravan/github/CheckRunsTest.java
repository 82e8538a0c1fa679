package dev.caravan.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.LogCapture;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class CheckRunsTest {

  private static final String APP_ID = "Iv23liExampleClientId";
  private static final String SHA = "0123456789abcdef0123456789abcdef01234567";
  private static final String RUN_URL = "https://caravan.example.com/runs/17";

  @TempDir Path dir;
  @RegisterExtension final GitHubAppFixture fixture = new GitHubAppFixture(APP_ID);
  private CheckRuns checkRuns;

  @BeforeEach
  void start() throws IOException {
    checkRuns =
        new CheckRuns(
            new GitHubAppTokens(
                APP_ID,
                fixture.keys.pkcs1(dir),
                fixture.stub.url(),
                Duration.ofSeconds(10),
                fixture.clock));
  }

  @Test
  void createsAndUpdatesACheckRunAsTheInstallation() throws Exception {
    ListAppender<ILoggingEvent> logs = LogCapture.startAll();
    Instant started = Instant.parse("2026-12-01T12:00:01.250Z");
    Instant completed = Instant.parse("2026-12-01T12:03:09Z");
    long id;
    try {
      id =
          checkRuns.create(
              42,
              "octo/hello.js",
              SHA,
              CheckRun.named("pr-checks / lint").withStatus("queued").withDetailsUrl(RUN_URL));
      checkRuns.update(
          42,
          "octo/hello.js",
          id,
          CheckRun.change().withStatus("in_progress").withStartedAt(started));
      checkRuns.update(
          42,
          "octo/hello.js",
          id,
          CheckRun.change()
              .completed("FAILURE", completed)
              .withOutput("lint failed", "exit code 1", "src/a.js:1 missing semicolon"));
    } finally {
      LogCapture.stopAll(logs);
    }

    assertThat(fixture.app.violations).isEmpty();
    assertThat(fixture.app.tokenRequests).hasSize(1);
    List<GitHubAppStub.Request> requests = fixture.app.checkRunRequests;
    assertThat(requests)
        .extracting(r -> r.method() + " " + r.path())
        .containsExactly(
            "POST /api/v3/repos/octo/hello.js/check-runs",
            "PATCH /api/v3/repos/octo/hello.js/check-runs/" + id,
            "PATCH /api/v3/repos/octo/hello.js/check-runs/" + id);
    String authorization = requests.get(0).headers().get("authorization");
    assertThat(authorization).startsWith("Bearer ghs_stub");
    assertThat(requests)
        .allSatisfy(r -> assertThat(r.headers()).containsEntry("authorization", authorization));

    assertThat(requests.get(0).body().toString())
        .isEqualTo(
            "{\"name\":\"pr-checks / lint\",\"head_sha\":\""
                + SHA
                + "\",\"status\":\"queued\",\"details_url\":\""
                + RUN_URL
                + "\"}");
    assertThat(requests.get(1).body().toString())
        .isEqualTo("{\"status\":\"in_progress\",\"started_at\":\"2026-12-01T12:00:01Z\"}");
    assertThat(requests.get(2).body().toString())
        .isEqualTo(
            "{\"status\":\"completed\",\"conclusion\":\"failure\","
                + "\"completed_at\":\"2026-12-01T12:03:09Z\",\"output\":{\"title\":\"lint failed\","
                + "\"summary\":\"exit code 1\",\"text\":\"src/a.js:1 missing semicolon\"}}");

    JsonNode run = fixture.app.checkRun(id);
    assertThat(run.get("status").asText()).isEqualTo("completed");
    assertThat(run.get("conclusion").asText()).isEqualTo("failure");
    assertThat(run.get("details_url").asText()).isEqualTo(RUN_URL);

    String token = authorization.substring("Bearer ".length());
    assertThat(LogCapture.events(logs))
        .extracting(LogCapture::text)
        .anyMatch(line -> line.contains("Check run " + id))
        .noneMatch(line -> line.contains(token) || line.contains("eyJ"));
  }

  @Test
  void badRepositoryCommitOrFieldsAreRefusedBeforeAnyRequest() {
    CheckRun lint = CheckRun.named("lint");
    String[][] creates = {
      {"octo/../admin", SHA},
      {"octo/hello/extra", SHA},
      {"../hello", SHA},
      {"octo/hel lo", SHA},
      {"octo", SHA},
      {"octo/hello", "abc123"},
      {"octo/hello", SHA + "/../x"},
      {"octo/hello", null},
    };
    for (String[] bad : creates) {
      assertThatThrownBy(() -> checkRuns.create(42, bad[0], bad[1], lint))
          .as(bad[0] + " " + bad[1])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad[0].equals("octo/hello") ? "commit" : "repository");
    }
    assertThatThrownBy(() -> checkRuns.update(42, "octo/../x", 1, CheckRun.change()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> checkRuns.update(42, "octo/hello", -1, CheckRun.change()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> checkRuns.create(42, "octo/hello", SHA, CheckRun.named(" ")))
        .hasMessageContaining("needs a name");
    assertThatThrownBy(() -> checkRuns.create(42, "octo/hello", SHA, lint.withStatus("completed")))
        .hasMessageContaining("needs a conclusion");
    assertThatThrownBy(
            () -> checkRuns.create(42, "octo/hello", SHA, lint.withOutput(null, "s", "t")))
        .hasMessageContaining("title and a summary");
    assertThatThrownBy(() -> checkRuns.create(0, "octo/hello", SHA, lint))
        .hasMessageContaining("installation id");
    assertThatThrownBy(() -> lint.withStatus("done")).hasMessageContaining("status");
    assertThatThrownBy(() -> lint.completed("passed", Instant.now()))
        .hasMessageContaining("conclusion");
    assertThatThrownBy(() -> lint.withDetailsUrl("javascript:alert(1)"))
        .hasMessageContaining("details_url");
    assertThatThrownBy(() -> lint.withDetailsUrl("/runs/1")).hasMessageContaining("details_url");

    assertThat(fixture.stub.requests).isEmpty();
  }

  @Test
  void aLongOutputKeepsItsEndWithinGitHubsLimit() throws Exception {
    String log =
        IntStream.range(0, 20_000).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
    assertThat(log.length()).isGreaterThan(CheckRuns.MAX_OUTPUT);
    String summary = "😀".repeat(40_000); // 80000 chars of surrogate pairs

    long id = checkRuns.create(42, "octo/hello", SHA, CheckRun.named("tests"));
    checkRuns.update(
        42,
        "octo/hello",
        id,
        CheckRun.change()
            .completed("failure", fixture.clock.now())
            .withOutput("tests failed", summary, log));

    assertThat(fixture.app.violations).isEmpty();
    JsonNode output = fixture.app.checkRunRequests.get(1).body().get("output");
    String text = output.get("text").asText();
    assertThat(text).hasSize(CheckRuns.MAX_OUTPUT).startsWith("…\n").endsWith("line 19999");
    assertThat(log).endsWith(text.substring(2));
    String cutSummary = output.get("summary").asText();
    assertThat(cutSummary.length()).isLessThanOrEqualTo(CheckRuns.MAX_OUTPUT);
    assertThat(cutSummary.substring(2)).matches("(😀)+");
  }

  @Test
  void aRefusalNamesGitHubsAnswerButNotTheToken() throws Exception {
    checkRuns.create(42, "octo/hello", SHA, CheckRun.named("lint")); // a token in the cache

    assertThatThrownBy(
            () -> checkRuns.update(42, "octo/hello", 999, CheckRun.change().withStatus("queued")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GitHub answered 404 to updating check run 999 of octo/hello")
        .hasMessageContaining("Not Found")
        .hasMessageNotContaining("ghs_");
  }
}
