package dev.caravan.run;

import dev.caravan.kjob.StepExecutors;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancels a run: marks it CANCELED (so its further steps do not start), then stops the steps that
 * are running: kills local process trees, deletes Kubernetes Jobs with their pods.
 */
public class RunCanceller {

  private static final Logger LOG = LoggerFactory.getLogger(RunCanceller.class);

  private final JdbcRunStore runs;
  private final StepExecutors executors;

  public RunCanceller(JdbcRunStore runs, StepExecutors executors) {
    this.runs = runs;
    this.executors = executors;
  }

  /**
   * @return the steps that were stopped, or empty when the run had already ended
   */
  public Optional<List<StepView>> cancel(String runId) {
    Optional<List<StepView>> running = runs.cancel(runId);
    running.ifPresent(steps -> steps.forEach(this::stop));
    return running;
  }

  private void stop(StepView step) {
    String jobName = step.record().jobName();
    try {
      executors.cancel(step.record());
      LOG.info("Canceled step {} ({})", step.name(), jobName);
    } catch (RuntimeException e) {
      LOG.warn("Could not stop step {} ({}): {}", step.name(), jobName, e.getMessage());
    }
  }
}
