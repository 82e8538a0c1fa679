package dev.caravan.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.event.EventConstants;
import dev.caravan.event.EventJson;
import dev.caravan.github.GitHubApi;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.eclipse.egit.github.core.Commit;
import org.eclipse.egit.github.core.CommitUser;
import org.eclipse.egit.github.core.PullRequest;
import org.eclipse.egit.github.core.RepositoryCommit;
import org.eclipse.egit.github.core.RepositoryTag;
import org.eclipse.egit.github.core.User;
import org.eclipse.egit.github.core.client.GsonUtils;

/**
 * Turns what camel-github's polling consumers find into the events the GitHub webhook gateway
 * publishes, so that pipelines do not care which gateway saw it: a new open pull request ({@code
 * github:pullRequest}, an egit {@link PullRequest}) becomes {@code pull_request:opened}, each new
 * commit of the branch ({@code github:commit/<branch>}, a {@link RepositoryCommit}) one {@code
 * push}, a new tag ({@code github:tag}, a {@link RepositoryTag}) one {@code create}. The body is
 * shaped like the webhook's payload (snake_case, {@code pull_request}, {@code repository}, {@code
 * head_commit}, ...); subject {@code owner/repo}; labels ref, commit, cloneUrl as the webhook's.
 * Ids are deterministic ({@code github-poll:pr:<id>}, {@code github-poll:commit:<sha>}, {@code
 * github-poll:tag:<name>:<sha>}), so replicas that poll the same change publish one event.
 */
public class GitHubPollingNormalizer implements Processor {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private String owner;
  private String repo;
  private String branch = "main";
  private String apiUrl;

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    Object body = message.getBody();
    String id;
    String githubEvent;
    ObjectNode payload;
    String time = null;
    if (body instanceof PullRequest pullRequest) {
      githubEvent = "pull_request";
      id = "github-poll:pr:" + pullRequest.getId();
      payload = pullRequestOpened(pullRequest);
      time = iso(pullRequest.getCreatedAt());
    } else if (body instanceof RepositoryCommit commit) {
      githubEvent = "push";
      id = "github-poll:commit:" + commit.getSha();
      payload = push(commit);
      time = payload.path("head_commit").path("timestamp").asText(null);
    } else if (body instanceof RepositoryTag tag) {
      githubEvent = "create";
      String sha = tag.getCommit() == null ? null : tag.getCommit().getSha();
      id = "github-poll:tag:" + tag.getName() + (sha == null ? "" : ":" + sha);
      payload = tagCreated(tag);
    } else {
      throw new IllegalArgumentException(
          "expected an egit PullRequest, RepositoryCommit or RepositoryTag (set"
              + " commitMessageAsBody=false on github:commit), got "
              + (body == null ? "no body" : body.getClass().getName()));
    }
    Map<String, String> labels = GitHubWebhook.labels(githubEvent, payload);
    if (body instanceof RepositoryTag tag && tag.getCommit() != null) {
      labels.putIfAbsent("commit", tag.getCommit().getSha());
    }

    message.removeHeaders("*");
    message.setHeader(EventConstants.EVENT_ID, id);
    message.setHeader(EventConstants.EVENT_TYPE, GitHubWebhook.type(githubEvent, payload));
    message.setHeader(EventConstants.EVENT_SUBJECT, owner + "/" + repo);
    message.setHeader(EventConstants.EVENT_TIME, time);
    message.setHeader(EventConstants.EVENT_LABELS, labels);
    message.setBody(payload.toString());
  }

  private ObjectNode pullRequestOpened(PullRequest pullRequest) {
    ObjectNode payload = JSON.objectNode();
    payload.put("action", "opened");
    payload.put("number", pullRequest.getNumber());
    payload.set("pull_request", egit(pullRequest));
    payload.set("repository", repository());
    if (pullRequest.getUser() != null) {
      payload.set("sender", egit(pullRequest.getUser()));
    }
    return payload;
  }

  private ObjectNode push(RepositoryCommit repositoryCommit) {
    ObjectNode commit = JSON.objectNode();
    Commit details = repositoryCommit.getCommit();
    commit.put("id", repositoryCommit.getSha());
    commit.put("message", details == null ? null : details.getMessage());
    CommitUser author = details == null ? null : details.getAuthor();
    CommitUser committer = details == null ? null : details.getCommitter();
    commit.put("timestamp", iso(committer != null ? committer.getDate() : null));
    commit.put("url", webUrl() + "/commit/" + repositoryCommit.getSha());
    commit.set("author", person(author, repositoryCommit.getAuthor()));
    commit.set("committer", person(committer, repositoryCommit.getCommitter()));

    ObjectNode payload = JSON.objectNode();
    payload.put("ref", "refs/heads/" + branch);
    List<Commit> parents = repositoryCommit.getParents();
    payload.put("before", parents == null || parents.isEmpty() ? null : parents.get(0).getSha());
    payload.put("after", repositoryCommit.getSha());
    payload.set("repository", repository());
    ArrayNode commits = payload.putArray("commits");
    commits.add(commit);
    payload.set("head_commit", commit);
    if (repositoryCommit.getAuthor() != null) {
      payload.set("sender", egit(repositoryCommit.getAuthor()));
    }
    return payload;
  }

  private ObjectNode tagCreated(RepositoryTag tag) {
    ObjectNode payload = JSON.objectNode();
    payload.put("ref", tag.getName());
    payload.put("ref_type", "tag");
    payload.put("master_branch", branch);
    payload.set("repository", repository());
    payload.set("tag", egit(tag));
    return payload;
  }

  /** What the webhook's {@code repository} holds that pipelines use. */
  private ObjectNode repository() {
    ObjectNode repository = JSON.objectNode();
    repository.put("name", repo);
    repository.put("full_name", owner + "/" + repo);
    repository.putObject("owner").put("login", owner);
    repository.put("html_url", webUrl());
    repository.put("clone_url", webUrl() + ".git");
    return repository;
  }

  private ObjectNode person(CommitUser who, User account) {
    ObjectNode person = JSON.objectNode();
    if (who != null) {
      person.put("name", who.getName());
      person.put("email", who.getEmail());
    }
    if (account != null && account.getLogin() != null) {
      person.put("username", account.getLogin());
    }
    return person;
  }

  private String webUrl() {
    return GitHubApi.webUrl(apiUrl) + "/" + owner + "/" + repo;
  }

  /** An egit object as GitHub's own JSON (snake_case, no nulls). */
  private static JsonNode egit(Object value) {
    return EventJson.parse(GsonUtils.toJson(value, false));
  }

  private static String iso(Date date) {
    return date == null ? null : date.toInstant().toString();
  }

  /** Owner of the polled repository. */
  public void setOwner(String owner) {
    this.owner = owner;
  }

  /** Name of the polled repository. */
  public void setRepo(String repo) {
    this.repo = repo;
  }

  /** Branch whose commits are polled (the push events' ref). */
  public void setBranch(String branch) {
    this.branch = branch;
  }

  /** GitHub API URL, blank for api.github.com (for clone and web URLs). */
  public void setApiUrl(String apiUrl) {
    this.apiUrl = apiUrl;
  }
}
