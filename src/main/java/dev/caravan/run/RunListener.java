package dev.caravan.run;

import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;

/**
 * Hears what the runs of this instance do: the beans of this type in the Camel registry are told
 * when a step of a recorded run starts and ends, and when a run ends, on the instance that runs it.
 * Calls come on the threads that run the steps and end the runs: a listener returns at once and
 * does slow work (such as calls to GitHub) elsewhere. What a listener throws is logged, never the
 * run's failure.
 *
 * <p>A step replayed from the journal (a resumed run, or a retry that keeps succeeded steps) is not
 * started again, so its listeners hear nothing of it; the run's steps are in {@link Runs#journal()}
 * when it ends. A run interrupted by a stop is not ended: it is resumed later.
 */
public interface RunListener {

  /** A step (this attempt) of a recorded run starts, or starts again after a crash. */
  default void stepStarted(StepRequest request) {}

  /**
   * A step that succeeded in the run this one retries is kept: its record is copied into this run
   * (and is in the journal already) instead of the step running again.
   */
  default void stepKept(String runId, String stepName, String fanOutIndex) {}

  /** A step (this attempt) of a recorded run ended; its result is in the journal already. */
  default void stepEnded(StepRequest request, StepResult result) {}

  /**
   * A run ended with this status; it is recorded already.
   *
   * @param summary what the pipeline said ({@code CaravanRunSummary}), or {@code null}
   * @param error the message of the exception that ended it outside its steps, or {@code null}
   */
  default void runEnded(String runId, RunStatus status, String summary, String error) {}
}
