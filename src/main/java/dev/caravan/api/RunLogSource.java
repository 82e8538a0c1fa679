package dev.caravan.api;

import dev.caravan.run.JdbcStepJournal;
import dev.caravan.run.RunView;
import dev.caravan.run.Runs;
import dev.caravan.run.StepView;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;

/**
 * The log of a whole run: every line of every step, prefixed by its step ({@code [build] ...},
 * {@code [test 2] ...} for fan-out index 2, {@code [build, attempt 2] ...} for a second attempt).
 * Stored: each step's lines in the order the steps started. Followed: whole lines as they are
 * stored, steps that start later included, then a last line (or an {@code end} event) saying how
 * the run ended. The {@code id} of an event is the position reached in every step's log: {@code
 * <step>/<index>/<attempt>=<chunk>.<offset>} entries joined by commas (names URL-encoded).
 */
final class RunLogSource implements LogFollower.Source {

  /** Most chunks read from one step at a time. */
  private static final int CHUNKS_PER_READ = 4;

  /** Most steps that hand out lines in one look (the next look goes on with the next steps). */
  private static final int STEPS_PER_LOOK = 4;

  private final CamelContext camel;
  private final String runId;
  private final boolean events;
  private final Map<String, StepLines.Position> resume;
  private final Map<String, StepLines> steps = new LinkedHashMap<>();
  private int nextStep;
  private boolean done;

  RunLogSource(
      CamelContext camel, String runId, boolean events, Map<String, StepLines.Position> resume) {
    this.camel = camel;
    this.runId = runId;
    this.events = events;
    this.resume = resume;
  }

  /** The run's log as it is stored now, as plain text. */
  static String stored(CamelContext camel, String runId) {
    JdbcStepJournal journal = Runs.of(camel).journal();
    StringBuilder log = new StringBuilder();
    for (StepView view : journal.steps(runId)) {
      StepLines lines = lines(runId, view, StepLines.Position.START);
      for (StepLines.Line line : lines.readAll(journal)) {
        log.append(lines.label()).append(line.text()).append('\n');
      }
    }
    return log.toString();
  }

  /**
   * The positions of an event id written by this source ({@code Last-Event-ID}).
   *
   * @throws ApiException when it is not one
   */
  static Map<String, StepLines.Position> positions(String eventId) {
    Map<String, StepLines.Position> positions = new HashMap<>();
    if (eventId == null || eventId.equals("-")) {
      return positions;
    }
    for (String entry : eventId.split(",")) {
      int equals = entry.lastIndexOf('=');
      StepLines.Position position =
          equals < 0 ? null : StepLines.Position.parse(entry.substring(equals + 1));
      String key = equals < 0 ? "" : entry.substring(0, equals);
      if (position == null || key.split("/", -1).length != 3) {
        throw ApiException.badRequest(
            "Last-Event-ID is not a position in this run's log; reconnect without it to read the"
                + " log from its start");
      }
      positions.put(key, position);
    }
    return positions;
  }

  private static StepLines lines(String runId, StepView view, StepLines.Position from) {
    return new StepLines(runId, view.name(), view.fanOutIndex(), view.record().attempt(), from);
  }

  private static String key(StepView view) {
    return encode(view.name()) + "/" + encode(view.fanOutIndex()) + "/" + view.record().attempt();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  /** The position reached in every step's log, as an event id. */
  private String id() {
    List<String> entries = new ArrayList<>();
    steps.forEach(
        (key, lines) -> {
          if (!lines.position().equals(StepLines.Position.START)) {
            entries.add(key + "=" + lines.position());
          }
        });
    return entries.isEmpty() ? "-" : String.join(",", entries);
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
    // the run before its steps: once it has ended, every step it has is in the list read next
    RunView run = runs.store().run(runId).orElse(null);
    boolean runEnded = run == null || run.status().isFinal();
    boolean stragglersEnded = StepLogSource.runLongEnded(run);
    List<StepView> views = journal.steps(runId);
    for (StepView view : views) {
      steps.computeIfAbsent(
          key(view), key -> lines(runId, view, resume.getOrDefault(key, StepLines.Position.START)));
    }
    StringBuilder out = new StringBuilder();
    int handing = 0;
    for (int n = 0; n < views.size() && handing < STEPS_PER_LOOK; n++) {
      StepView view = views.get((nextStep + n) % views.size());
      StepLines lines = steps.get(key(view));
      if (lines.drained()) {
        continue;
      }
      boolean ended = view.record().hasEnded() || stragglersEnded;
      List<StepLines.Line> read = lines.read(journal, ended, CHUNKS_PER_READ);
      if (!read.isEmpty()) {
        handing++;
      }
      for (StepLines.Line line : read) {
        String text = lines.label() + line.text();
        out.append(events ? EventStreams.event(id(), "log", text) : text + "\n");
      }
    }
    nextStep = views.isEmpty() ? 0 : (nextStep + 1) % views.size();
    if (out.isEmpty() && runEnded && steps.values().stream().allMatch(StepLines::drained)) {
      done = true;
      String status = run == null ? "DELETED" : run.status().name();
      return events
          ? EventStreams.event(id(), "end", "{\"status\":\"" + status + "\"}")
          : "[caravan: run ended " + status + "]\n";
    }
    return out.toString();
  }
}
