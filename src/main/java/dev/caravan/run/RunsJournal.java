package dev.caravan.run;

import dev.caravan.kjob.StepJournal;
import dev.caravan.kjob.StepRecord;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import java.util.Optional;

/**
 * kjob's journal as the run layer provides it: the steps of runs in the database once the event
 * component has opened it; before that (a step outside any run), none.
 */
final class RunsJournal implements StepJournal {

  private final Runs runs;

  RunsJournal(Runs runs) {
    this.runs = runs;
  }

  private StepJournal journal() {
    return runs.isOpen() ? runs.journal() : StepJournal.NONE;
  }

  @Override
  public RunState runState(String runId) {
    return journal().runState(runId);
  }

  @Override
  public Optional<StepRecord> latest(String runId, String stepName, String fanOutIndex) {
    return journal().latest(runId, stepName, fanOutIndex);
  }

  @Override
  public void copy(String fromRunId, String toRunId, String stepName, String fanOutIndex) {
    journal().copy(fromRunId, toRunId, stepName, fanOutIndex);
    RunListeners.tell(runs.camel(), listener -> listener.stepKept(toRunId, stepName, fanOutIndex));
  }

  @Override
  public void started(StepRequest request, String executor, String namespace) {
    journal().started(request, executor, namespace);
    RunListeners.tell(runs.camel(), listener -> listener.stepStarted(request));
  }

  @Override
  public void output(StepRequest request, String newOutput) {
    journal().output(request, newOutput);
  }

  @Override
  public void ended(StepRequest request, StepResult result) {
    journal().ended(request, result);
    RunListeners.tell(runs.camel(), listener -> listener.stepEnded(request, result));
  }
}
