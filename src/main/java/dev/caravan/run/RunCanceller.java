package dev.caravan.run;

import dev.caravan.event.JdbcEventStore;
import dev.caravan.kjob.StepExecutors;
import java.util.List;
import java.util.Optional;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancels a run: marks it CANCELED (so its further steps do not start, and a waiting run never
 * does), then stops the steps that are running: kills local process trees, deletes Kubernetes Jobs
 * with their pods.
 */
final class RunCanceller {

  private static final Logger LOG = LoggerFactory.getLogger(RunCanceller.class);

  private final CamelContext camel;

  RunCanceller(CamelContext camel) {
    this.camel = camel;
  }

  /**
   * @return the steps that were stopped, or empty when the run had already ended
   */
  Optional<List<StepView>> cancel(
      JdbcRunStore runs, JdbcEventStore events, JdbcStepJournal journal, String runId) {
    if (!runs.cancel(events, runId)) {
      return Optional.empty();
    }
    return Optional.of(stopSteps(journal, runId));
  }

  /**
   * Stops the running steps of a run already marked CANCELED (one superseded in its concurrency
   * group).
   *
   * @return the steps that were stopped
   */
  List<StepView> stopSteps(JdbcStepJournal journal, String runId) {
    List<StepView> running =
        journal.steps(runId).stream().filter(step -> !step.record().hasEnded()).toList();
    running.forEach(this::stop);
    return running;
  }

  private void stop(StepView step) {
    String jobName = step.record().jobName();
    try {
      StepExecutors.of(camel).cancel(step.record());
      LOG.info("Canceled step {} ({})", step.name(), jobName);
    } catch (RuntimeException e) {
      LOG.warn("Could not stop step {} ({}): {}", step.name(), jobName, e.getMessage());
    }
  }
}
