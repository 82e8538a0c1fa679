package dev.caravan.checks;

import dev.caravan.event.EventConstants;
import dev.caravan.run.RunConstants;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers GitHub's {@code check_run:rerequested} (someone pressed "Re-run" on a check run that
 * {@link GitHubChecks} made): retries the run whose id is the check run's {@code external_id}
 * (event label {@code checkRunExternalId}), keeping its succeeded steps ({@link Runs#retry}); the
 * new run reports check runs of its own. An id that is no run, a run of a pipeline not in {@code
 * pipelines}, or a run still in flight is logged and ignored. Either way the exchange's {@code
 * CaravanRunSummary} says what was done.
 */
public class CheckRunRerequest implements Processor {

  /** Run ids as Caravan makes them, and nothing that could be more than an id. */
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private static final Logger LOG = LoggerFactory.getLogger(CheckRunRerequest.class);

  private Set<String> pipelines = Set.of();

  @Override
  public void process(Exchange exchange) {
    Map<?, ?> labels = exchange.getMessage().getHeader(EventConstants.EVENT_LABELS, Map.class);
    Object label = labels == null ? null : labels.get("checkRunExternalId");
    String runId = label == null ? "" : label.toString().trim();
    String outcome = retry(Runs.of(exchange.getContext()), runId);
    exchange.getMessage().setHeader(RunConstants.RUN_SUMMARY, outcome);
  }

  private String retry(Runs runs, String runId) {
    if (!RUN_ID.matcher(runId).matches()) {
      return ignored("the check run's external_id is no run id");
    }
    Optional<RunView> run = runs.store().run(runId);
    if (run.isEmpty()) {
      return ignored("no run " + runId);
    }
    if (!pipelines.isEmpty() && !pipelines.contains(run.get().pipeline())) {
      return ignored("run " + runId + " is of pipeline " + run.get().pipeline());
    }
    Runs.Retry retry = runs.retry(runId, true);
    return switch (retry.outcome()) {
      case STARTED -> {
        LOG.info("Check run re-requested: run {} retried as run {}", runId, retry.run().id());
        yield "run " + runId + " retried as run " + retry.run().id();
      }
      case IN_FLIGHT -> ignored("run " + runId + " has not ended");
      case PIPELINE_INACTIVE -> ignored("the pipeline of run " + runId + " is not running");
      case NO_SUCH_RUN -> ignored("no run " + runId);
    };
  }

  private static String ignored(String why) {
    LOG.warn("Check run re-request ignored: {}", why);
    return "ignored: " + why;
  }

  public String getPipelines() {
    return String.join(",", pipelines);
  }

  /** The pipelines whose runs it retries, comma-separated; empty: any pipeline's. */
  public void setPipelines(String pipelines) {
    this.pipelines =
        pipelines == null
            ? Set.of()
            : Arrays.stream(pipelines.split(","))
                .map(String::trim)
                .filter(name -> !name.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
  }
}
