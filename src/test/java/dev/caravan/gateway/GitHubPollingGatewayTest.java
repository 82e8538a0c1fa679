package dev.caravan.gateway;

import static dev.caravan.gateway.GatewayTestSupport.camel;
import static dev.caravan.gateway.GatewayTestSupport.load;
import static dev.caravan.gateway.GatewayTestSupport.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.event.EventConstants;
import dev.caravan.github.GitHubStub;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GitHub polling gateway (routes/gateways/github-polling.yaml) on a plain Camel context,
 * against a local stub of GitHub's REST API reached through caravan.github.api-url.
 */
class GitHubPollingGatewayTest {

  private static final String REPO = "/api/v3/repos/octo/hello";
  private static final String TOKEN = "ghp_test0123456789secret";

  @TempDir Path dir;

  private GitHubStub github;
  private CamelContext context;

  @BeforeEach
  void stubGitHub() throws Exception {
    github = new GitHubStub();
    github
        .serve(REPO, repository())
        .serve(REPO + "/pulls", "[" + pullRequest(1, 1001, "aaa111") + "]")
        .serve(REPO + "/commits", "[" + commit("c1", null, "first") + "]")
        .serve(REPO + "/tags", "[" + tag("v0.1", "c1") + "]");
  }

  @AfterEach
  void stop() {
    if (context != null) {
      context.stop();
    }
    github.close();
  }

  private List<Exchange> startGateway(Properties extra) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("caravan.github.polling.enabled", "true");
    properties.setProperty("caravan.github.polling.owner", "octo");
    properties.setProperty("caravan.github.polling.repo", "hello");
    properties.setProperty("caravan.github.polling.interval", "100");
    properties.setProperty("caravan.github.api-url", github.url());
    properties.setProperty("caravan.github.token", TOKEN);
    properties.putAll(extra);
    context = camel(dir, "github", properties);
    load(context, "classpath:routes/gateways/github-polling.yaml");
    // one run at a time: runs in flight together may end in any order, and the tests check the
    // order in which the gateway published its events
    List<Exchange> received = subscribe(context, "event:github?concurrency=1");
    context.start();
    return received;
  }

  private static List<String> types(List<Exchange> received) {
    return received.stream()
        .map(run -> run.getMessage().getHeader(EventConstants.EVENT_TYPE, String.class))
        .toList();
  }

  private static Exchange ofType(List<Exchange> received, String type) {
    return received.stream()
        .filter(run -> type.equals(run.getMessage().getHeader(EventConstants.EVENT_TYPE)))
        .findFirst()
        .orElseThrow();
  }

  @Test
  @SuppressWarnings("unchecked")
  void newPullRequestsCommitsAndTagsBecomeTheWebhooksEventTypes() throws Exception {
    List<Exchange> received = startGateway(new Properties());
    // what existed at start is indexed, not announced; now the repository changes
    github
        .serve(
            REPO + "/pulls",
            "[" + pullRequest(2, 1002, "bbb222") + "," + pullRequest(1, 1001, "aaa111") + "]")
        .serve(
            REPO + "/commits",
            "["
                + commit("c3", "c2", "third")
                + ","
                + commit("c2", "c1", "second")
                + ","
                + commit("c1", null, "first")
                + "]")
        .serve(REPO + "/tags", "[" + tag("v0.2", "c3") + "," + tag("v0.1", "c1") + "]");

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= 4);
    assertThat(types(received))
        .containsExactlyInAnyOrder("pull_request:opened", "push", "push", "create");

    Exchange opened = ofType(received, "pull_request:opened");
    assertThat(opened.getMessage().getHeaders())
        .containsEntry(EventConstants.EVENT_SOURCE, "github")
        .containsEntry(EventConstants.EVENT_ID, "github-poll:pr:1002")
        .containsEntry(EventConstants.EVENT_SUBJECT, "octo/hello")
        .containsEntry(EventConstants.EVENT_TIME, "2025-03-01T10:02:00Z");
    assertThat(opened.getMessage().getHeader(EventConstants.EVENT_LABELS, Map.class))
        .containsEntry("ref", "feature-2")
        .containsEntry("commit", "bbb222")
        .containsEntry("cloneUrl", github.url() + "/octo/hello.git")
        .containsEntry("sender", "ada");
    Map<String, Object> payload = opened.getMessage().getBody(Map.class);
    assertThat(payload).containsEntry("action", "opened").containsEntry("number", 2);
    assertThat((Map<String, Object>) payload.get("pull_request"))
        .containsEntry("title", "Change 2")
        .containsEntry("html_url", "https://github.example/octo/hello/pull/2");

    List<Exchange> pushes =
        received.stream()
            .filter(run -> "push".equals(run.getMessage().getHeader(EventConstants.EVENT_TYPE)))
            .toList();
    assertThat(pushes)
        .extracting(run -> run.getMessage().getHeader(EventConstants.EVENT_ID))
        .as("one push per new commit, oldest first")
        .containsExactly("github-poll:commit:c2", "github-poll:commit:c3");
    Exchange push = pushes.get(1);
    assertThat(push.getMessage().getHeader(EventConstants.EVENT_LABELS, Map.class))
        .containsEntry("ref", "refs/heads/main")
        .containsEntry("commit", "c3")
        .containsEntry("cloneUrl", github.url() + "/octo/hello.git");
    Map<String, Object> pushed = push.getMessage().getBody(Map.class);
    assertThat(pushed).containsEntry("before", "c2").containsEntry("after", "c3");
    assertThat((Map<String, Object>) pushed.get("head_commit"))
        .containsEntry("id", "c3")
        .containsEntry("message", "third");

    Exchange created = ofType(received, "create");
    assertThat(created.getMessage().getHeaders())
        .containsEntry(EventConstants.EVENT_ID, "github-poll:tag:v0.2:c3");
    assertThat(created.getMessage().getHeader(EventConstants.EVENT_LABELS, Map.class))
        .containsEntry("ref", "v0.2")
        .containsEntry("commit", "c3");
    assertThat(created.getMessage().getBody(Map.class)).containsEntry("ref_type", "tag");

    assertThat(github.requests)
        .anyMatch(request -> request.startsWith("GET " + REPO + "/commits?sha=main"));
    assertThat(github.authorizations).isNotEmpty().allMatch(("token " + TOKEN)::equals);
    assertThat(context.getEndpoints())
        .map(Endpoint::toString)
        .as("endpoint URIs as logged")
        .noneMatch(uri -> uri.contains(TOKEN));
  }

  @Test
  void eachKindCanBeSwitchedOff() throws Exception {
    Properties properties = new Properties();
    properties.setProperty("caravan.github.polling.tags", "false");
    properties.setProperty("caravan.github.polling.commits", "false");
    startGateway(properties);

    assertThat(context.getRoute("github-poll-pull-requests")).isNotNull();
    assertThat(context.getRoute("github-poll-commits")).isNull();
    assertThat(context.getRoute("github-poll-tags")).isNull();
  }

  @Test
  void theGatewayIsLeftOutUnlessEnabledAndThenNeverCallsGitHub() throws Exception {
    context = camel(dir, "github-off", new Properties());
    load(context, "classpath:routes/gateways/github-polling.yaml");
    context.start();

    assertThat(context.getRoutes()).isEmpty();
    assertThat(github.requests).isEmpty();
  }

  // JSON shaped like GitHub's REST API v3 responses (only the fields that matter here)

  private String repository() {
    return """
        {"id": 1296269, "name": "hello", "full_name": "octo/hello",
         "owner": {"login": "octo", "id": 1},
         "html_url": "https://github.example/octo/hello",
         "clone_url": "https://github.example/octo/hello.git",
         "default_branch": "main", "private": false}
        """;
  }

  private String pullRequest(int number, long id, String sha) {
    return """
        {"id": %d, "number": %d, "state": "open", "title": "Change %d", "body": "Please pull",
         "html_url": "https://github.example/octo/hello/pull/%d",
         "url": "%s/api/v3/repos/octo/hello/pulls/%d",
         "created_at": "2025-03-01T10:0%d:00Z", "updated_at": "2025-03-01T10:0%d:00Z",
         "user": {"login": "ada", "id": 7},
         "head": {"label": "ada:feature-%d", "ref": "feature-%d", "sha": "%s",
                  "repo": {"name": "hello", "full_name": "ada/hello",
                           "clone_url": "https://github.example/ada/hello.git"}},
         "base": {"label": "octo:main", "ref": "main", "sha": "c1",
                  "repo": {"name": "hello", "full_name": "octo/hello",
                           "clone_url": "https://github.example/octo/hello.git"}}}
        """
        .formatted(
            id, number, number, number, github.url(), number, number, number, number, number, sha);
  }

  private String commit(String sha, String parent, String message) {
    return """
        {"sha": "%s", "url": "%s/api/v3/repos/octo/hello/commits/%s",
         "html_url": "https://github.example/octo/hello/commit/%s",
         "commit": {"message": "%s",
                    "author": {"name": "Ada", "email": "ada@example.com",
                               "date": "2025-03-01T11:00:00Z"},
                    "committer": {"name": "Ada", "email": "ada@example.com",
                                  "date": "2025-03-01T11:00:00Z"},
                    "tree": {"sha": "t-%s"}},
         "author": {"login": "ada", "id": 7}, "committer": {"login": "ada", "id": 7},
         "parents": [%s]}
        """
        .formatted(
            sha,
            github.url(),
            sha,
            sha,
            message,
            sha,
            parent == null ? "" : "{\"sha\": \"" + parent + "\"}");
  }

  private String tag(String name, String sha) {
    return """
        {"name": "%s", "commit": {"sha": "%s", "url": "%s/api/v3/repos/octo/hello/commits/%s"},
         "zipball_url": "%s/api/v3/repos/octo/hello/zipball/%s",
         "tarball_url": "%s/api/v3/repos/octo/hello/tarball/%s"}
        """
        .formatted(name, sha, github.url(), sha, github.url(), name, github.url(), name);
  }
}
