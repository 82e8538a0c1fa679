package dev.caravan.checks;

import dev.caravan.github.CheckRun;
import dev.caravan.github.CheckRuns;
import dev.caravan.kjob.StepRecord;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepStatus;
import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.LogTail;
import dev.caravan.run.RunStatus;
import dev.caravan.run.StepView;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check runs of one run, one per step name: what GitHub was told of each, and the requests that
 * tell it more. Every change is a task on the run's own chain on a shared bounded pool, so the
 * requests of one run are sent in order, one at a time, and never on the threads of the run; only
 * those tasks touch the state below.
 */
final class RunChecks {

  private static final Logger LOG = LoggerFactory.getLogger(RunChecks.class);

  /** Where the check runs go, and what they link to. */
  record Target(
      String runId,
      String pipeline,
      long installation,
      String repository,
      String sha,
      String detailsUrl,
      String namePrefix) {}

  /** The latest end of one item (fan-out index) of a step. */
  private record ItemEnd(
      StepStatus status, Integer exitCode, int attempt, String log, boolean kept) {
    ItemEnd(StepStatus status, Integer exitCode, int attempt, String log) {
      this(status, exitCode, attempt, log, false);
    }
  }

  /** One step's check run. */
  private static final class StepCheck {
    final String step;
    final boolean grouped;
    Long id;
    String shown;
    String conclusion;
    Instant startedAt;
    int running;
    final Map<String, ItemEnd> items = new LinkedHashMap<>();

    StepCheck(String step, boolean grouped) {
      this.step = step;
      this.grouped = grouped;
    }
  }

  /** A change, sent to GitHub. */
  private interface Task {
    void run() throws IOException;
  }

  private final Target target;
  private final CheckRuns client;
  private final Executor pool;
  private final Map<String, StepCheck> steps = new LinkedHashMap<>();
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

  RunChecks(Target target, CheckRuns client, Executor pool) {
    this.target = target;
    this.client = client;
    this.pool = pool;
  }

  /**
   * The run starts: a {@code queued} check run for each planned step, unless the commit has one of
   * this run already (a run resumed after its Caravan stopped: the check runs it made are found
   * again by their external id, the run id).
   */
  void begin(Map<String, Boolean> planned) {
    submit(
        "creating its check runs",
        () -> {
          planned.forEach((step, grouped) -> steps.put(step, new StepCheck(step, grouped)));
          Map<String, Long> existing = Map.of();
          try {
            existing =
                client.find(
                    target.installation(), target.repository(), target.sha(), target.runId());
          } catch (IOException | RuntimeException e) {
            LOG.warn(
                "Could not list the check runs of run {} on {}: {}",
                target.runId(),
                target.repository(),
                e.getMessage());
          }
          for (StepCheck check : steps.values()) {
            Long found = existing.get(name(check));
            if (found != null) {
              check.id = found;
              LOG.info("Run {} continues check run {} ({})", target.runId(), found, name(check));
            } else {
              attempt(check, () -> create(check, CheckRun.named(name(check)).withStatus("queued")));
            }
          }
        });
  }

  /** An item of a step starts: its check run is {@code in_progress}. */
  void started(String step, Instant at) {
    submit(
        "starting step " + step,
        () -> {
          StepCheck check = steps.computeIfAbsent(step, name -> new StepCheck(name, false));
          check.running++;
          if ("in_progress".equals(check.shown)) {
            return;
          }
          if ("completed".equals(check.shown)) {
            // an attempt after the step's check run completed (a Camel redelivery): a new one
            check.id = null;
            check.conclusion = null;
            check.items.clear();
          }
          check.startedAt = at;
          CheckRun progress =
              CheckRun.named(name(check)).withStatus("in_progress").withStartedAt(at);
          if (check.id == null) {
            create(check, progress);
          } else {
            update(check, progress);
          }
        });
  }

  /**
   * An item of a step ended. A step that runs once is completed with it; a grouped one (a split's,
   * a loop's) when the run ends, with the worst conclusion of its items.
   */
  void ended(String step, String fanOutIndex, int attempt, StepResult result) {
    submit(
        "ending step " + step,
        () -> {
          StepCheck check = steps.computeIfAbsent(step, name -> new StepCheck(name, false));
          check.running = Math.max(0, check.running - 1);
          check.items.put(
              fanOutIndex,
              new ItemEnd(result.status(), result.exitCode(), attempt, result.output()));
          if (!check.grouped && check.running == 0) {
            complete(check, null);
          }
        });
  }

  /**
   * A step that succeeded in the run this one retries is kept instead of run: its check run is
   * completed from the journal (a grouped one waits for the run's end as its items do).
   */
  void kept(String step, String fanOutIndex, Supplier<JdbcStepJournal> journal) {
    submit(
        "keeping step " + step,
        () -> {
          StepCheck check = steps.computeIfAbsent(step, name -> new StepCheck(name, false));
          StepRecord record = journal.get().latest(target.runId(), step, fanOutIndex).orElse(null);
          if (record == null || !record.hasEnded()) {
            return;
          }
          check.items.put(
              fanOutIndex,
              new ItemEnd(
                  record.status(), record.exitCode(), record.attempt(), record.output(), true));
          if (!check.grouped && check.running == 0) {
            complete(check, null);
          }
        });
  }

  /**
   * The run ended: every check run not completed yet is completed, from the journal's steps (which
   * also has the steps a resumed run or a retry replayed without running them); a step the run
   * never reached is {@code skipped}.
   */
  void runEnded(RunStatus status, String summary, String error, Supplier<JdbcStepJournal> journal) {
    submit(
        "ending its check runs",
        () -> {
          JdbcStepJournal steps = journal.get();
          List<StepView> recorded = steps.steps(target.runId());
          for (StepView view : recorded) {
            StepCheck check =
                this.steps.computeIfAbsent(view.name(), name -> new StepCheck(name, false));
            StepRecord record = view.record();
            ItemEnd known = check.items.get(view.fanOutIndex());
            if (record.hasEnded() && (known == null || known.attempt() < record.attempt())) {
              String log =
                  steps.log(target.runId(), view.name(), view.fanOutIndex(), record.attempt());
              check.items.put(
                  view.fanOutIndex(),
                  new ItemEnd(record.status(), record.exitCode(), record.attempt(), log));
            } else if (!record.hasEnded() && known == null) {
              check.running = Math.max(check.running, 1);
            }
          }
          for (StepCheck check : this.steps.values()) {
            attempt(check, () -> complete(check, new RunEnd(status, summary, error)));
          }
        });
  }

  /** How the run ended, for the steps it left unfinished or never reached. */
  private record RunEnd(RunStatus status, String summary, String error) {}

  private void complete(StepCheck check, RunEnd runEnd) throws IOException {
    String conclusion;
    String summary;
    if (check.items.isEmpty()) {
      boolean reached = check.running > 0 || check.startedAt != null;
      conclusion = !reached ? "skipped" : CheckOutput.conclusion(runEnd.status());
      summary =
          (reached
                  ? "Step `" + check.step + "` had not ended"
                  : "Step `" + check.step + "` was not run")
              + " when run `"
              + target.runId()
              + "` of `"
              + target.pipeline()
              + "` ended "
              + runEnd.status()
              + "."
              + runReason(runEnd);
    } else {
      ItemEnd worst = null;
      int failed = 0;
      for (ItemEnd item : check.items.values()) {
        if (item.status() != StepStatus.SUCCEEDED) {
          failed++;
        }
        if (worst == null
            || CheckOutput.severity(CheckOutput.conclusion(item.status()))
                > CheckOutput.severity(CheckOutput.conclusion(worst.status()))) {
          worst = item;
        }
      }
      conclusion = CheckOutput.conclusion(worst.status());
      summary = summary(check, worst, failed) + (failed > 0 ? runReason(runEnd) : "");
    }
    if ("completed".equals(check.shown) && conclusion.equals(check.conclusion)) {
      return;
    }
    CheckRun done =
        CheckRun.named(name(check))
            .completed(conclusion, Instant.now())
            .withOutput(CheckOutput.title(check.step, conclusion), summary, null);
    if (check.id == null) {
      create(check, done);
    } else {
      update(check, done);
    }
    check.conclusion = conclusion;
  }

  private String summary(StepCheck check, ItemEnd worst, int failed) {
    StringBuilder text = new StringBuilder("Step `").append(check.step).append('`');
    if (check.items.size() > 1) {
      text.append(": ")
          .append(check.items.size())
          .append(" items, ")
          .append(failed)
          .append(" did not succeed; the worst one");
    }
    text.append(" ")
        .append(worst.status())
        .append(worst.exitCode() == null ? "" : " with exit code " + worst.exitCode())
        .append(" (attempt ")
        .append(worst.attempt())
        .append(") in run `")
        .append(target.runId())
        .append("` of `")
        .append(target.pipeline())
        .append("`")
        .append(worst.kept() ? ", kept from the run it retries." : ".");
    text.append(CheckOutput.block("Last lines of its log:", LogTail.lastLines(worst.log())));
    return text.toString();
  }

  private static String runReason(RunEnd runEnd) {
    if (runEnd == null) {
      return "";
    }
    return CheckOutput.block("The run's summary:", runEnd.summary())
        + CheckOutput.block("What ended the run:", runEnd.error());
  }

  private void create(StepCheck check, CheckRun run) throws IOException {
    CheckRun linked = target.detailsUrl() == null ? run : run.withDetailsUrl(target.detailsUrl());
    check.id =
        client.create(
            target.installation(), target.repository(), target.sha(), linked, target.runId());
    check.shown = run.status();
  }

  private void update(StepCheck check, CheckRun run) throws IOException {
    client.update(target.installation(), target.repository(), check.id, run);
    check.shown = run.status();
  }

  private String name(StepCheck check) {
    return target.namePrefix() + check.step;
  }

  /** One request of a task: its failure is logged, and the task goes on with the next step. */
  private void attempt(StepCheck check, Task request) {
    try {
      request.run();
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "Could not report step {} of run {} to GitHub: {}",
          check.step,
          target.runId(),
          e.getMessage());
    }
  }

  private synchronized void submit(String what, Task task) {
    tail =
        tail.thenRunAsync(
                () -> {
                  try {
                    task.run();
                  } catch (IOException | RuntimeException e) {
                    LOG.warn(
                        "Could not report to GitHub ({}) for run {}: {}",
                        what,
                        target.runId(),
                        e.getMessage());
                  }
                },
                pool)
            .exceptionally(
                rejected -> {
                  LOG.warn(
                      "GitHub check runs of run {} fell behind ({} dropped): {}",
                      target.runId(),
                      what,
                      rejected.toString());
                  return null;
                });
  }

  /** Completes once every change asked for so far has been sent (tests). */
  synchronized CompletableFuture<Void> sent() {
    return tail;
  }
}
