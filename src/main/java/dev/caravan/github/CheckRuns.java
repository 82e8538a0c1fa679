package dev.caravan.github;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates ({@code POST /repos/{owner}/{repo}/check-runs}) and updates ({@code PATCH
 * /repos/{owner}/{repo}/check-runs/{id}}) GitHub check runs as a GitHub App installation, with a
 * token from {@link GitHubAppTokens}. Check runs need an app: GitHub refuses them to other tokens.
 *
 * <p>The repository and commit usually come from the event, so they are checked as {@link
 * CommitStatus} checks them before they become part of the path. Summary and text are cut to
 * GitHub's {@value #MAX_OUTPUT} characters keeping their end (a log tail's last lines matter most).
 */
public final class CheckRuns {

  /** GitHub's limit of {@code output.summary} and {@code output.text}, in characters. */
  public static final int MAX_OUTPUT = 65_535;

  static final String CUT = "…\n";
  static final int LIST_PAGE = 100;
  static final int LIST_PAGES = 10;
  private static final Logger LOG = LoggerFactory.getLogger(CheckRuns.class);

  private final GitHubAppTokens tokens;
  private final GitHubRest rest;

  /** Check runs on the GitHub server of {@code tokens}, with its timeout. */
  public CheckRuns(GitHubAppTokens tokens) {
    this.tokens = tokens;
    this.rest = tokens.rest();
  }

  /**
   * Creates the check run on commit {@code headSha} of {@code repository} ({@code owner/name}) and
   * answers its id, for {@link #update}.
   */
  public long create(long installationId, String repository, String headSha, CheckRun run)
      throws IOException {
    return create(installationId, repository, headSha, run, null);
  }

  /**
   * Like {@link #create(long, String, String, CheckRun)}, with GitHub's {@code external_id} (the
   * integrator's own id of what the check run reports, such as a run id; null: none).
   */
  public long create(
      long installationId, String repository, String headSha, CheckRun run, String externalId)
      throws IOException {
    String[] ownerAndName = GitHubPaths.repository(repository, "of the check run");
    GitHubPaths.commit(headSha, "head_sha of the check run");
    if (run.name() == null || run.name().isBlank()) {
      throw new IllegalArgumentException("a check run needs a name");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", run.name());
    body.put("head_sha", headSha);
    putIfSet(body, "external_id", externalId);
    fields(run, body);
    JsonNode answer =
        rest.send(
            "POST",
            "/repos/" + ownerAndName[0] + "/" + ownerAndName[1] + "/check-runs",
            "Bearer " + tokens.token(installationId),
            body,
            "creating the check run " + run.name() + " on " + repository + "@" + headSha);
    long id = answer.path("id").asLong(0);
    if (id <= 0) {
      throw new IOException("GitHub's answer to creating a check run has no id");
    }
    LOG.info("Check run {} ({}) created on {}@{}", id, run.name(), repository, headSha);
    return id;
  }

  /**
   * Updates check run {@code checkRunId} of {@code repository} with the fields {@code run} sets.
   */
  public void update(long installationId, String repository, long checkRunId, CheckRun run)
      throws IOException {
    String[] ownerAndName = GitHubPaths.repository(repository, "of the check run");
    if (checkRunId <= 0) {
      throw new IllegalArgumentException(
          "the check run id must be a positive number, not " + checkRunId);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    if (run.name() != null && !run.name().isBlank()) {
      body.put("name", run.name());
    }
    fields(run, body);
    rest.send(
        "PATCH",
        "/repos/" + ownerAndName[0] + "/" + ownerAndName[1] + "/check-runs/" + checkRunId,
        "Bearer " + tokens.token(installationId),
        body,
        "updating check run " + checkRunId + " of " + repository);
    LOG.info(
        "Check run {} of {} updated ({})",
        checkRunId,
        repository,
        run.conclusion() != null ? run.conclusion() : run.status());
  }

  /**
   * The check runs on commit {@code headSha} whose {@code external_id} is {@code externalId}: their
   * names and ids ({@code GET /repos/{owner}/{repo}/commits/{sha}/check-runs}, every check run of
   * the commit, {@value #LIST_PAGE} a page, at most {@value #LIST_PAGES} pages).
   */
  public Map<String, Long> find(
      long installationId, String repository, String headSha, String externalId)
      throws IOException {
    String[] ownerAndName = GitHubPaths.repository(repository, "of the check run");
    GitHubPaths.commit(headSha, "head_sha of the check run");
    Map<String, Long> found = new LinkedHashMap<>();
    for (int page = 1; page <= LIST_PAGES; page++) {
      JsonNode answer =
          rest.send(
              "GET",
              "/repos/"
                  + ownerAndName[0]
                  + "/"
                  + ownerAndName[1]
                  + "/commits/"
                  + headSha
                  + "/check-runs?filter=all&per_page="
                  + LIST_PAGE
                  + "&page="
                  + page,
              "Bearer " + tokens.token(installationId),
              null,
              "listing the check runs of " + repository + "@" + headSha);
      JsonNode runs = answer.path("check_runs");
      for (JsonNode run : runs) {
        if (externalId.equals(run.path("external_id").asText(null))
            && run.path("id").asLong(0) > 0) {
          found.putIfAbsent(run.path("name").asText(), run.path("id").asLong());
        }
      }
      if (runs.size() < LIST_PAGE) {
        break;
      }
    }
    return found;
  }

  /**
   * Checks a repository ({@code owner/name}) and commit as {@link #create} does, before anything is
   * sent: {@code source} says where they came from in the error.
   */
  public static void checkTarget(String repository, String headSha, String source) {
    GitHubPaths.repository(repository, source);
    GitHubPaths.commit(headSha, source);
  }

  private static void fields(CheckRun run, Map<String, Object> body) {
    if ("completed".equals(run.status()) && run.conclusion() == null) {
      throw new IllegalArgumentException("a completed check run needs a conclusion");
    }
    putIfSet(body, "status", run.status());
    putIfSet(body, "conclusion", run.conclusion());
    putIfSet(body, "details_url", run.detailsUrl());
    if (run.startedAt() != null) {
      body.put("started_at", timestamp(run.startedAt()));
    }
    if (run.completedAt() != null) {
      body.put("completed_at", timestamp(run.completedAt()));
    }
    if (run.title() != null || run.summary() != null || run.text() != null) {
      if (run.title() == null || run.summary() == null) {
        throw new IllegalArgumentException("a check run's output needs a title and a summary");
      }
      Map<String, String> output = new LinkedHashMap<>();
      output.put("title", run.title());
      output.put("summary", keepEnd(run.summary()));
      putIfSet(output, "text", run.text() == null ? null : keepEnd(run.text()));
      body.put("output", output);
    }
  }

  /** ISO 8601 as GitHub documents it: {@code YYYY-MM-DDTHH:MM:SSZ}. */
  private static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** {@code text} cut to {@link #MAX_OUTPUT} characters by dropping its start. */
  static String keepEnd(String text) {
    if (text.length() <= MAX_OUTPUT) {
      return text;
    }
    int start = text.length() - (MAX_OUTPUT - CUT.length());
    if (Character.isLowSurrogate(text.charAt(start))) {
      start++; // not half a character
    }
    return CUT + text.substring(start);
  }

  private static <V> void putIfSet(Map<String, V> map, String key, V value) {
    if (value != null) {
      map.put(key, value);
    }
  }
}
