package dev.caravan.api;

import dev.caravan.graph.FanOutIndex;
import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.camel.CamelContext;

/**
 * What a client following one step's log gets: nothing until the step starts (the step of a
 * pipeline that has it, not started yet), then its log as it is stored, until the step has ended; a
 * run that ends without reaching the step ends the follow with a line saying so. As plain text, the
 * stored chunks as they are; as an event stream, {@code log} events of whole lines, each with its
 * position as {@code id}, and an {@code end} event saying how the step ended.
 */
final class StepLogSource implements LogFollower.Source {

  /** Most chunks read at a time. */
  private static final int CHUNKS_PER_READ = 4;

  /**
   * How long after its run ended a step still said to be running may still append (a canceled
   * step's last output); then it is taken as ended.
   */
  static final Duration STRAGGLER = Duration.ofSeconds(10);

  private final CamelContext camel;
  private final String runId;
  private final String name;
  private final String index;
  private final Integer attempt;
  private final boolean events;
  private final StepLines.Position from;
  private StepLines lines;
  private int lastSeq = -1;
  private boolean done;

  /**
   * @param index the fan-out index, or {@code null} for any
   * @param attempt the attempt, or {@code null} for the latest
   * @param events whether to write an event stream (else plain text)
   * @param from where an event stream resumes ({@code Last-Event-ID})
   */
  StepLogSource(
      CamelContext camel,
      String runId,
      String name,
      String index,
      Integer attempt,
      boolean events,
      StepLines.Position from) {
    this.camel = camel;
    this.runId = runId;
    this.name = name;
    this.index = index;
    this.attempt = attempt;
    this.events = events;
    this.from = from;
  }

  /** The step (its latest attempt unless {@code attempt} is given) among a run's steps. */
  static Optional<StepView> find(List<StepView> steps, String name, String index, Integer attempt) {
    return steps.stream()
        .filter(view -> view.name().equals(name))
        .filter(view -> index == null || FanOutIndex.matches(index, view.fanOutIndex()))
        .filter(view -> attempt == null || view.record().attempt() == attempt)
        .max(Comparator.comparingInt((StepView view) -> view.record().attempt()));
  }

  /** Whether a step still said to be running is taken as ended: its run ended a while ago. */
  static boolean runLongEnded(RunView run) {
    return run == null
        || (run.status().isFinal()
            && run.ended() != null
            && run.ended().plus(STRAGGLER).isBefore(Instant.now()));
  }

  @Override
  public String heartbeat() {
    return events ? EventStreams.HEARTBEAT : null;
  }

  @Override
  public String next() {
    if (done) {
      return null;
    }
    Runs runs = Runs.of(camel);
    JdbcStepJournal journal = runs.journal();
    // the run before its steps: a run that had ended and has no such step will never have it
    RunView run = runs.store().run(runId).orElse(null);
    if (lines == null) {
      Optional<StepView> found = find(journal.steps(runId), name, index, attempt);
      if (found.isEmpty()) {
        if (run == null || run.status().isFinal()) {
          done = true;
          return notReached(run);
        }
        return "";
      }
      StepView step = found.get();
      lines = new StepLines(runId, name, step.fanOutIndex(), step.record().attempt(), from);
    }
    Optional<StepView> now = journal.step(runId, lines.name, lines.fanOutIndex, lines.attempt);
    boolean ended = now.map(view -> view.record().hasEnded()).orElse(true) || runLongEnded(run);
    return events ? events(journal, ended, now) : text(journal, ended);
  }

  private String text(JdbcStepJournal journal, boolean ended) {
    List<JdbcStepJournal.LogChunk> chunks =
        journal.logChunks(
            runId, lines.name, lines.fanOutIndex, lines.attempt, lastSeq, CHUNKS_PER_READ);
    if (chunks.isEmpty()) {
      return ended ? null : "";
    }
    StringBuilder text = new StringBuilder();
    for (JdbcStepJournal.LogChunk chunk : chunks) {
      text.append(chunk.content());
      lastSeq = chunk.seq();
    }
    return text.toString();
  }

  private String events(JdbcStepJournal journal, boolean ended, Optional<StepView> now) {
    StringBuilder out = new StringBuilder();
    for (StepLines.Line line : lines.read(journal, ended, CHUNKS_PER_READ)) {
      out.append(EventStreams.event(line.after().toString(), "log", line.text()));
    }
    if (lines.drained()) {
      done = true;
      String status =
          now.filter(view -> view.record().hasEnded())
              .map(view -> view.record().status().name())
              .orElse("UNKNOWN");
      Integer exitCode = now.map(view -> view.record().exitCode()).orElse(null);
      out.append(
          EventStreams.event(
              lines.position().toString(),
              "end",
              "{\"status\":\"" + status + "\",\"exitCode\":" + exitCode + "}"));
    }
    return out.toString();
  }

  private String notReached(RunView run) {
    String status = run == null ? "DELETED" : run.status().name();
    if (events) {
      return EventStreams.event(
          from.toString(), "end", "{\"status\":\"SKIPPED\",\"run\":\"" + status + "\"}");
    }
    return "[caravan: the run ended " + status + " without reaching step '" + name + "']\n";
  }
}
