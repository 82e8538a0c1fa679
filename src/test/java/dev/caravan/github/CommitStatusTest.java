package dev.caravan.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CommitStatusTest {

  private static final String SHA = "0123456789abcdef0123456789abcdef01234567";

  private final CamelContext camel = new DefaultCamelContext();
  private GitHubStub github;
  private CommitStatus status;

  @BeforeEach
  void start() throws Exception {
    github = new GitHubStub();
    status = new CommitStatus();
    status.setApiUrl(github.url());
    status.setToken("t0ken");
  }

  @AfterEach
  void stop() {
    github.close();
  }

  /** An exchange as a pr-checks run has it: event subject and commit label. */
  private Exchange exchange(String subject, String commit) {
    Exchange exchange = new DefaultExchange(camel);
    exchange.getMessage().setHeader("CaravanEventSubject", subject);
    exchange.getMessage().setHeader("CaravanEventLabels", Map.of("commit", commit));
    exchange.getMessage().setBody("body stays");
    return exchange;
  }

  @Test
  void postsTheStatusForTheEventsRepositoryAndCommit() throws Exception {
    Exchange exchange = exchange("octo/hello.js", SHA);
    exchange.getMessage().setHeader(CommitStatus.STATE, "SUCCESS");
    exchange
        .getMessage()
        .setHeader(CommitStatus.TARGET_URL, "https://caravan.example.com/api/runs/1");
    exchange.getMessage().setHeader(CommitStatus.DESCRIPTION, "x".repeat(200));

    status.process(exchange);

    assertThat(github.posts).hasSize(1);
    GitHubStub.Post post = github.posts.get(0);
    assertThat(post.path()).isEqualTo("/api/v3/repos/octo/hello.js/statuses/" + SHA);
    assertThat(post.authorization()).isEqualTo("token t0ken");
    JsonNode body = new ObjectMapper().readTree(post.body());
    assertThat(body.get("state").asText()).isEqualTo("success");
    assertThat(body.get("target_url").asText()).isEqualTo("https://caravan.example.com/api/runs/1");
    assertThat(body.get("context").asText()).isEqualTo("caravan");
    assertThat(body.get("description").asText()).hasSize(CommitStatus.MAX_DESCRIPTION);
    assertThat(exchange.getMessage().getBody()).isEqualTo("body stays");
  }

  @Test
  void headersOverrideRepositoryCommitAndContext() throws Exception {
    Exchange exchange = exchange("not a repo", "not a sha");
    exchange.getMessage().setHeader(CommitStatus.STATE, "pending");
    exchange.getMessage().setHeader(CommitStatus.REPOSITORY, "other/repo");
    exchange.getMessage().setHeader(CommitStatus.SHA, SHA);
    exchange.getMessage().setHeader(CommitStatus.CONTEXT, "ci/lint");

    status.process(exchange);

    assertThat(github.posts.get(0).path()).isEqualTo("/api/v3/repos/other/repo/statuses/" + SHA);
    assertThat(github.posts.get(0).body()).contains("\"context\":\"ci/lint\"");
  }

  @Test
  void badValuesAreRefusedBeforeAnyRequest() {
    String[][] cases = {
      {"octo/hello", SHA, "done", null},
      {"octo/hello", SHA, null, null},
      {"octo/../admin", SHA, "success", null},
      {"octo/hello/extra", SHA, "success", null},
      {"../hello", SHA, "success", null},
      {"octo/hel lo", SHA, "success", null},
      {"octo/hello", "abc123", "success", null},
      {"octo/hello", SHA + "/../x", "success", null},
      {"octo/hello", SHA, "success", "javascript:alert(1)"},
      {"octo/hello", SHA, "success", "/api/runs/1"},
    };
    for (String[] bad : cases) {
      Exchange exchange = exchange(bad[0], bad[1]);
      exchange.getMessage().setHeader(CommitStatus.STATE, bad[2]);
      exchange.getMessage().setHeader(CommitStatus.TARGET_URL, bad[3]);

      assertThatThrownBy(() -> status.process(exchange))
          .as(String.join(" ", String.valueOf(bad[0]), bad[1], String.valueOf(bad[2])))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(github.requests).isEmpty();
  }

  @Test
  void aRefusalNamesGitHubsStatusButNotTheToken() {
    Exchange exchange = exchange("octo/hello", SHA);
    exchange.getMessage().setHeader(CommitStatus.STATE, "failure");

    github.answerPosts(422, "{\"message\":\"Validation Failed\"}");
    assertThatThrownBy(() -> status.process(exchange))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GitHub answered 422")
        .hasMessageContaining("Validation Failed")
        .hasMessageNotContaining("t0ken");

    github.answerPosts(401, "{\"message\":\"Bad credentials\"}");
    assertThatThrownBy(() -> status.process(exchange))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GitHub answered 401")
        .hasMessageNotContaining("t0ken");
  }

  @Test
  void anUnreachableGitHubFailsTheExchange() {
    status.setApiUrl("http://127.0.0.1:1");
    status.setTimeoutMillis(2000);
    Exchange exchange = exchange("octo/hello", SHA);
    exchange.getMessage().setHeader(CommitStatus.STATE, "error");

    assertThatThrownBy(() -> status.process(exchange)).isInstanceOf(IOException.class);
  }
}
