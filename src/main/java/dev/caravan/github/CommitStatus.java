package dev.caravan.github;

import dev.caravan.event.EventConstants;
import java.io.IOException;
import java.net.HttpRetryException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.eclipse.egit.github.core.client.GitHubClient;
import org.eclipse.egit.github.core.client.RequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets a commit status on GitHub ({@code POST /repos/{owner}/{repo}/statuses/{sha}}), the check
 * that pull requests show, from the exchange's headers. A plain-Camel processor for pipelines such
 * as {@code pr-checks.yaml}.
 *
 * <p>camel-github 4.17's producer for this ({@code github:pullRequestState}) takes owner,
 * repository, state and target URL only as endpoint options, so reporting for the repository of an
 * event would need a {@code toD} built from event data, and it cannot set the status context. This
 * processor reads everything per exchange and checks it before it becomes part of a request path:
 *
 * <table>
 *   <caption>Headers</caption>
 *   <tr><td>{@code CaravanCommitState}</td><td>required: {@code pending}, {@code success},
 *       {@code failure} or {@code error}</td></tr>
 *   <tr><td>{@code CaravanCommitRepository}</td><td>{@code owner/repo}; default the event subject
 *       ({@code CaravanEventSubject})</td></tr>
 *   <tr><td>{@code CaravanCommitSha}</td><td>the commit (40 or 64 hex digits); default the event
 *       label {@code commit} (the pull request's head)</td></tr>
 *   <tr><td>{@code CaravanCommitTargetUrl}</td><td>optional http(s) link, e.g. to the run</td></tr>
 *   <tr><td>{@code CaravanCommitDescription}</td><td>optional; cut to GitHub's 140 characters</td></tr>
 *   <tr><td>{@code CaravanCommitContext}</td><td>optional; default the {@code context}
 *       property ({@code caravan})</td></tr>
 * </table>
 *
 * <p>The server is {@code apiUrl} (empty for api.github.com, {@code https://ghe.example.com} for
 * GitHub Enterprise, as {@code caravan.github.api-url}), the token {@code token}. Body and headers
 * are left as they were. A refused request fails the exchange with an {@link IllegalStateException}
 * that names GitHub's status code, never the token; an unreachable GitHub fails it with the {@link
 * IOException} after {@code timeoutMillis}.
 */
public class CommitStatus implements Processor {

  public static final String STATE = "CaravanCommitState";
  public static final String REPOSITORY = "CaravanCommitRepository";
  public static final String SHA = "CaravanCommitSha";
  public static final String TARGET_URL = "CaravanCommitTargetUrl";
  public static final String DESCRIPTION = "CaravanCommitDescription";
  public static final String CONTEXT = "CaravanCommitContext";

  static final int MAX_DESCRIPTION = 140;
  private static final Set<String> STATES = Set.of("pending", "success", "failure", "error");
  private static final Logger LOG = LoggerFactory.getLogger(CommitStatus.class);

  private String apiUrl;
  private String token;
  private String context = "caravan";
  private int timeoutMillis = 30_000;
  private volatile GitHubClient client;

  @Override
  public void process(Exchange exchange) throws IOException {
    Message message = exchange.getMessage();
    String state = text(message, STATE);
    if (state == null || !STATES.contains(state.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "header " + STATE + " must be one of pending, success, failure, error");
    }
    state = state.toLowerCase(Locale.ROOT);
    String repository = text(message, REPOSITORY);
    if (repository == null) {
      repository = text(message, EventConstants.EVENT_SUBJECT);
    }
    String[] ownerAndName =
        GitHubPaths.repository(repository, "header " + REPOSITORY + ", else the event subject");
    String sha = text(message, SHA);
    if (sha == null) {
      Map<?, ?> labels = message.getHeader(EventConstants.EVENT_LABELS, Map.class);
      Object commit = labels == null ? null : labels.get("commit");
      sha = commit == null ? null : commit.toString();
    }
    GitHubPaths.commit(sha, "header " + SHA + ", else the event label commit");

    Map<String, String> status = new LinkedHashMap<>();
    status.put("state", state);
    String targetUrl = text(message, TARGET_URL);
    if (targetUrl != null) {
      status.put("target_url", GitHubPaths.httpUrl(targetUrl, "header " + TARGET_URL));
    }
    String description = text(message, DESCRIPTION);
    if (description != null) {
      status.put(
          "description",
          description.length() > MAX_DESCRIPTION
              ? description.substring(0, MAX_DESCRIPTION - 1) + "…"
              : description);
    }
    String statusContext = text(message, CONTEXT);
    status.put("context", statusContext != null ? statusContext : context);

    String path = "/repos/" + ownerAndName[0] + "/" + ownerAndName[1] + "/statuses/" + sha;
    String what = "the commit status " + state + " of " + repository + "@" + sha;
    try {
      client().post(path, status, null);
    } catch (RequestException e) {
      throw new IllegalStateException(
          "GitHub answered " + e.getStatus() + " to " + what + ": " + e.getMessage(), e);
    } catch (HttpRetryException e) {
      // the JDK's answer to a 401 on a POST: GitHub refused the token (or there was none)
      throw new IllegalStateException(
          "GitHub answered " + e.responseCode() + " to " + what + ": check caravan.github.token",
          e);
    }
    LOG.info("Commit status {} ({}) set on {}@{}", state, status.get("context"), repository, sha);
  }

  private GitHubClient client() {
    GitHubClient answer = client;
    if (answer == null) {
      synchronized (this) {
        if (client == null) {
          GitHubClient created = GitHubApi.client(apiUrl, timeoutMillis);
          if (token != null && !token.isBlank()) {
            created.setOAuth2Token(token);
          }
          client = created;
        }
        answer = client;
      }
    }
    return answer;
  }

  private static String text(Message message, String header) {
    String value = message.getHeader(header, String.class);
    return value == null || value.isBlank() ? null : value.trim();
  }

  public String getApiUrl() {
    return apiUrl;
  }

  /** GitHub's API: empty for api.github.com, {@code https://<host>} for GitHub Enterprise. */
  public void setApiUrl(String apiUrl) {
    this.apiUrl = apiUrl;
  }

  public String getToken() {
    return token;
  }

  /** Token sent as {@code Authorization: token ...}; needs the repository's status permission. */
  public void setToken(String token) {
    this.token = token;
  }

  public String getContext() {
    return context;
  }

  /** The status's context (the name GitHub shows for the check) when no header gives one. */
  public void setContext(String context) {
    this.context = context;
  }

  public int getTimeoutMillis() {
    return timeoutMillis;
  }

  /** Longest wait to connect to GitHub, and again to read its answer. */
  public void setTimeoutMillis(int timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
  }
}
