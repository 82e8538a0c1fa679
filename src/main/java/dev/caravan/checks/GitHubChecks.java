package dev.caravan.checks;

import dev.caravan.event.EventConstants;
import dev.caravan.github.CheckRun;
import dev.caravan.github.CheckRuns;
import dev.caravan.github.GitHubAppTokens;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import dev.caravan.run.RunListener;
import dev.caravan.run.RunStatus;
import dev.caravan.run.Runs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the run of a pipeline to GitHub as check runs, one per step: a plain-Camel processor that
 * a pipeline puts first ({@code process: ref: ...}) to opt in. For the run of the exchange it
 * creates a {@code queued} check run for every step the route plans (read from the route model),
 * then, as a {@link RunListener} in the registry, moves each to {@code in_progress} when its step
 * starts and to {@code completed} when it ends ({@code success}, {@code failure}, {@code
 * timed_out}, {@code cancelled}), with a summary that names the reason and the last lines of the
 * log; steps the run never reached are {@code skipped} when it ends. The items of a step inside a
 * split or a loop share one check run, completed with the worst of them when the run ends.
 *
 * <p>The check runs are on the event's commit (label {@code commit}) of its repository (the
 * subject), both checked before they become part of a path; the GitHub App installation is the
 * event's (label {@code installation}, else {@code installation.id} of the body). {@code
 * external_id} is the run id, {@code details_url} {@code <publicUrl>/runs/<run id>}, the run's page
 * in the dashboard.
 *
 * <p>Without an {@code appId} (or for an event without an installation, or an exchange that is no
 * run) it does nothing but set the exchange property {@value #ENABLED} to {@code false}; else to
 * {@code true}, so a pipeline can report commit statuses instead. Requests to GitHub run on the
 * named, bounded pool {@value #POOL}, one run's in order; a failed request is logged and the run
 * goes on. Neither the app id nor its key are logged.
 */
public class GitHubChecks implements Processor, RunListener {

  /** Exchange property: whether this run reports check runs. */
  public static final String ENABLED = "CaravanGitHubChecks";

  /** Name of the pool on which requests to GitHub run. */
  public static final String POOL = "github-checks";

  static final int POOL_THREADS = 2;
  static final int POOL_QUEUE = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(GitHubChecks.class);

  private String appId;
  private String appKeyFile;
  private String apiUrl;
  private String publicUrl;
  private String namePrefix = "";
  private int timeoutMillis = 30_000;

  private final Map<String, RunChecks> runs = new ConcurrentHashMap<>();
  private volatile Reporter reporter;

  /** The GitHub client and the pool, made at the first run. */
  private record Reporter(CamelContext camel, CheckRuns client, ExecutorService pool) {}

  @Override
  public void process(Exchange exchange) {
    exchange.setProperty(ENABLED, false);
    if (appId == null || appId.isBlank()) {
      return;
    }
    Message message = exchange.getMessage();
    String runId = message.getHeader(KjobConstants.RUN_ID, String.class);
    if (runId == null || runId.isBlank()) {
      LOG.debug("Not a run: no check runs");
      return;
    }
    if (runs.containsKey(runId)) {
      exchange.setProperty(ENABLED, true);
      return;
    }
    String repository = message.getHeader(EventConstants.EVENT_SUBJECT, String.class);
    Map<?, ?> labels = message.getHeader(EventConstants.EVENT_LABELS, Map.class);
    String sha = label(labels, "commit");
    CheckRuns.checkTarget(repository, sha, "the event's subject and its label commit");
    Long installation = installation(labels, message.getBody());
    if (installation == null) {
      LOG.warn(
          "Run {}: its event came from no GitHub App installation (no installation.id), so it"
              + " reports no check runs",
          runId);
      return;
    }
    String detailsUrl = null;
    if (publicUrl != null && !publicUrl.isBlank()) {
      detailsUrl = publicUrl.trim().replaceAll("/+$", "") + "/runs/" + runId;
      CheckRun.named("details").withDetailsUrl(detailsUrl); // a bad URL fails here, not later
    }
    Reporter current = reporter(exchange.getContext());
    String pipeline = exchange.getFromRouteId();
    RunChecks checks =
        new RunChecks(
            new RunChecks.Target(
                runId,
                pipeline,
                installation,
                repository,
                sha,
                detailsUrl,
                namePrefix == null ? "" : namePrefix),
            current.client(),
            current.pool());
    runs.put(runId, checks);
    checks.begin(PlannedSteps.of(exchange.getContext(), pipeline));
    exchange.setProperty(ENABLED, true);
  }

  @Override
  public void stepStarted(StepRequest request) {
    RunChecks checks = runs.get(request.runId());
    if (checks != null) {
      checks.started(request.stepName(), Instant.now());
    }
  }

  @Override
  public void stepKept(String runId, String stepName, String fanOutIndex) {
    RunChecks checks = runs.get(runId);
    Reporter current = reporter;
    if (checks != null && current != null) {
      checks.kept(stepName, fanOutIndex, () -> Runs.of(current.camel()).journal());
    }
  }

  @Override
  public void stepEnded(StepRequest request, StepResult result) {
    RunChecks checks = runs.get(request.runId());
    if (checks != null) {
      checks.ended(request.stepName(), request.fanOutIndex(), request.attempt(), result);
    }
  }

  @Override
  public void runEnded(String runId, RunStatus status, String summary, String error) {
    RunChecks checks = runs.remove(runId);
    Reporter current = reporter;
    if (checks != null && current != null) {
      checks.runEnded(status, summary, error, () -> Runs.of(current.camel()).journal());
    }
  }

  /** Completes once every request asked for the run so far has been sent, or at once (tests). */
  CompletableFuture<Void> sent(String runId) {
    RunChecks checks = runs.get(runId);
    return checks == null ? CompletableFuture.completedFuture(null) : checks.sent();
  }

  private synchronized Reporter reporter(CamelContext camel) {
    if (reporter == null) {
      if (appKeyFile == null || appKeyFile.isBlank()) {
        throw new IllegalArgumentException(
            "a GitHub App id is set but no private key file (caravan.github.app-key-file)");
      }
      GitHubAppTokens tokens =
          new GitHubAppTokens(
              appId, Path.of(appKeyFile.trim()), apiUrl, Duration.ofMillis(timeoutMillis));
      ThreadPoolProfile profile = new ThreadPoolProfile(POOL);
      profile.setPoolSize(POOL_THREADS);
      profile.setMaxPoolSize(POOL_THREADS);
      profile.setMaxQueueSize(POOL_QUEUE);
      profile.setRejectedPolicy(ThreadPoolRejectedPolicy.Abort);
      ExecutorService pool = camel.getExecutorServiceManager().newThreadPool(this, POOL, profile);
      reporter = new Reporter(camel, new CheckRuns(tokens), pool);
    }
    return reporter;
  }

  private static String label(Map<?, ?> labels, String name) {
    Object value = labels == null ? null : labels.get(name);
    return value == null ? null : value.toString();
  }

  private static Long installation(Map<?, ?> labels, Object body) {
    String label = label(labels, "installation");
    if (label != null) {
      try {
        long id = Long.parseLong(label.trim());
        return id > 0 ? id : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }
    try {
      return body == null ? null : GitHubAppTokens.installationId(body);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  public String getAppId() {
    return appId;
  }

  /** The GitHub App's id (or client id); empty: no check runs. */
  public void setAppId(String appId) {
    this.appId = appId;
  }

  public String getAppKeyFile() {
    return appKeyFile;
  }

  /** The file of the app's private key (PEM), e.g. a mounted Secret. */
  public void setAppKeyFile(String appKeyFile) {
    this.appKeyFile = appKeyFile;
  }

  public String getApiUrl() {
    return apiUrl;
  }

  /** GitHub's API: empty for api.github.com, {@code https://<host>} for GitHub Enterprise. */
  public void setApiUrl(String apiUrl) {
    this.apiUrl = apiUrl;
  }

  public String getPublicUrl() {
    return publicUrl;
  }

  /** Caravan's URL as GitHub's users reach it: check runs link to {@code <url>/runs/<run id>}. */
  public void setPublicUrl(String publicUrl) {
    this.publicUrl = publicUrl;
  }

  public String getNamePrefix() {
    return namePrefix;
  }

  /** Put before each step name to make the check run's name (empty: the step name). */
  public void setNamePrefix(String namePrefix) {
    this.namePrefix = namePrefix;
  }

  public int getTimeoutMillis() {
    return timeoutMillis;
  }

  /** Longest wait to connect to GitHub, and for each answer. */
  public void setTimeoutMillis(int timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
  }
}
