package dev.caravan.api;

import dev.caravan.graph.FanOutIndex;
import dev.caravan.kjob.StepRecord;
import dev.caravan.kjob.StepStatus;
import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.LogTail;
import dev.caravan.run.RunStatus;
import dev.caravan.run.RunView;
import dev.caravan.run.StepView;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Why a run did not succeed: the step that ended it (the latest attempt of a step whose status is
 * the run's, the last one to end), its exit code and the last lines of its log, and the run's
 * summary (what the pipeline said, or why Caravan gave the run up).
 */
final class RunReason {

  private RunReason() {}

  /**
   * The reason of a FAILED, TIMED_OUT, CANCELED, SKIPPED or QUEUED run (the last two: why its
   * concurrency group made it wait or skip, in its summary); {@code null} for any other.
   */
  static Map<String, Object> of(RunView run, List<StepView> steps, JdbcStepJournal journal) {
    RunStatus status = run.status();
    if (status != RunStatus.FAILED
        && status != RunStatus.TIMED_OUT
        && status != RunStatus.CANCELED
        && status != RunStatus.SKIPPED
        && status != RunStatus.QUEUED) {
      return null;
    }
    Map<String, Object> reason = new LinkedHashMap<>();
    reason.put("status", status.name());
    Optional<StepView> step =
        status == RunStatus.SKIPPED || status == RunStatus.QUEUED
            ? Optional.empty()
            : culprit(steps, StepStatus.valueOf(status.name()));
    reason.put("step", step.map(StepView::name).orElse(null));
    reason.put(
        "fanOutIndex", step.map(found -> FanOutIndex.json(found.fanOutIndex())).orElse(null));
    reason.put("attempt", step.map(found -> found.record().attempt()).orElse(null));
    reason.put("exitCode", step.map(found -> found.record().exitCode()).orElse(null));
    reason.put(
        "log",
        step.map(
                found ->
                    LogTail.lastLines(
                        journal.log(
                            run.id(), found.name(), found.fanOutIndex(), found.record().attempt())))
            .orElse(null));
    reason.put("summary", run.summary());
    reason.put("error", run.error());
    return reason;
  }

  /**
   * The latest attempt of each step and fan-out index whose status is the run's, the one that ended
   * last (a FAILED run may have failed items that a catch handled before something else failed it;
   * the last such step is the nearest cause the journal knows).
   */
  private static Optional<StepView> culprit(List<StepView> steps, StepStatus status) {
    Map<String, StepView> latest = new LinkedHashMap<>();
    for (StepView step : steps) {
      latest.merge(
          step.name() + '\n' + step.fanOutIndex(),
          step,
          (one, other) -> one.record().attempt() >= other.record().attempt() ? one : other);
    }
    return latest.values().stream()
        .filter(step -> step.record().status() == status)
        .max(
            Comparator.comparing(
                (StepView step) -> endOf(step.record()),
                Comparator.nullsFirst(Comparator.naturalOrder())));
  }

  private static Instant endOf(StepRecord record) {
    return record.ended() != null ? record.ended() : record.started();
  }
}
