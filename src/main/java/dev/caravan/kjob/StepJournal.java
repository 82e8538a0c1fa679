package dev.caravan.kjob;

import java.util.Optional;

/**
 * Where kjob records the steps of runs, so that a run resumed after a crash or replayed with {@code
 * keepSucceeded} does not run finished steps again, and logs outlive pods. The kjob component uses
 * the single StepJournal in the registry, or none.
 */
public interface StepJournal {

  /** Whether runs with this id are recorded at all (ad-hoc exchanges are not), and not canceled. */
  RunState runState(String runId);

  /** The attempt with the highest number of this step (run, name, fan-out index), if any. */
  Optional<StepRecord> latest(String runId, String stepName, String fanOutIndex);

  /** Copies a step record from another run (a replay reusing a succeeded step). */
  void copy(String fromRunId, String toRunId, String stepName, String fanOutIndex);

  /** The step (this attempt) starts, or starts again after a crash. */
  void started(StepRequest request, String executor, String namespace);

  /**
   * Output of a step that is still running: only what it printed since the previous call, to be
   * appended (never the whole output again). The pieces of all calls together are a prefix of the
   * {@link StepResult#output()} that {@link #ended} receives.
   */
  void output(StepRequest request, String newOutput);

  /**
   * The step ended: records its result, and appends the rest of its output (what the {@link
   * #output} calls did not bring, such as the dropped-bytes marker and the tail).
   */
  void ended(StepRequest request, StepResult result);

  /** Whether a run is recorded, and whether it was canceled. */
  enum RunState {
    UNTRACKED,
    ACTIVE,
    CANCELED
  }

  /** Records nothing: every run is untracked. */
  StepJournal NONE =
      new StepJournal() {
        @Override
        public RunState runState(String runId) {
          return RunState.UNTRACKED;
        }

        @Override
        public Optional<StepRecord> latest(String runId, String stepName, String fanOutIndex) {
          return Optional.empty();
        }

        @Override
        public void copy(String fromRunId, String toRunId, String stepName, String fanOutIndex) {}

        @Override
        public void started(StepRequest request, String executor, String namespace) {}

        @Override
        public void output(StepRequest request, String newOutput) {}

        @Override
        public void ended(StepRequest request, StepResult result) {}
      };
}
