package dev.caravan.api;

import dev.caravan.run.JdbcStepJournal;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored log of one attempt of one step, read in whole lines: a line is handed out once its
 * newline is stored (or the step has ended), so that lines of steps that run at the same time are
 * never mixed mid-line. Each line comes with the position after it in the stored log ({@code
 * <chunk>.<characters into the chunk>}), from which a reader resumes without repeating or losing a
 * line. A line longer than {@link #MAX_LINE} characters is handed out in pieces of that length.
 */
final class StepLines {

  /** Longest line handed out whole. */
  static final int MAX_LINE = JdbcStepJournal.CHUNK_CHARS;

  /** A line, without its newline, and the position after it. */
  record Line(String text, Position after) {}

  /** A position in a step's stored log: character {@code offset} of chunk {@code seq}. */
  record Position(int seq, int offset) {
    static final Position START = new Position(0, 0);

    /** The position as an event id part: {@code seq.offset}. */
    @Override
    public String toString() {
      return seq + "." + offset;
    }

    /** A position written by {@link #toString}, or {@code null} when it is not one. */
    static Position parse(String text) {
      int dot = text.indexOf('.');
      if (dot <= 0) {
        return null;
      }
      try {
        int seq = Integer.parseInt(text.substring(0, dot));
        int offset = Integer.parseInt(text.substring(dot + 1));
        return seq < 0 || offset < 0 ? null : new Position(seq, offset);
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }

  final String runId;
  final String name;
  final String fanOutIndex;
  final int attempt;

  /** The position after the last line handed out. */
  private Position handedOut;

  /** The last chunk read, and how many characters of the first chunk to read to skip. */
  private int lastSeq;

  private int skip;
  private final StringBuilder partial = new StringBuilder();
  private boolean drained;

  StepLines(String runId, String name, String fanOutIndex, int attempt, Position from) {
    this.runId = runId;
    this.name = name;
    this.fanOutIndex = fanOutIndex;
    this.attempt = attempt;
    this.handedOut = from;
    this.lastSeq = from.seq() - 1;
    this.skip = from.offset();
  }

  Position position() {
    return handedOut;
  }

  /** Whether the step had ended and every line was handed out. */
  boolean drained() {
    return drained;
  }

  /**
   * The whole lines stored after those handed out, from at most {@code maxChunks} chunks.
   *
   * @param stepEnded whether the step had ended before this read: when nothing more is stored, the
   *     rest of a last line without newline is handed out, and the reader is drained
   */
  List<Line> read(JdbcStepJournal journal, boolean stepEnded, int maxChunks) {
    List<Line> lines = new ArrayList<>();
    if (drained) {
      return lines;
    }
    List<JdbcStepJournal.LogChunk> chunks =
        journal.logChunks(runId, name, fanOutIndex, attempt, lastSeq, maxChunks);
    for (JdbcStepJournal.LogChunk chunk : chunks) {
      String content = chunk.content();
      int from = chunk.seq() == lastSeq + 1 ? Math.min(skip, content.length()) : 0;
      skip = 0;
      lastSeq = chunk.seq();
      while (from < content.length()) {
        int newline = content.indexOf('\n', from);
        int room = MAX_LINE - partial.length();
        int end = newline < 0 ? content.length() : newline;
        if (end - from > room) {
          // too long a line: a piece of it
          partial.append(content, from, from + room);
          from += room;
          lines.add(take(new Position(chunk.seq(), from)));
          continue;
        }
        partial.append(content, from, end);
        if (newline < 0) {
          from = content.length();
        } else {
          from = newline + 1;
          lines.add(take(new Position(chunk.seq(), from)));
        }
      }
    }
    if (chunks.isEmpty() && stepEnded) {
      if (!partial.isEmpty()) {
        lines.add(take(new Position(lastSeq + 1, 0)));
      }
      drained = true;
    }
    return lines;
  }

  /** Every line stored now, the last one whether or not it ended with a newline. */
  List<Line> readAll(JdbcStepJournal journal) {
    List<Line> lines = new ArrayList<>();
    while (!drained) {
      lines.addAll(read(journal, true, 64));
    }
    return lines;
  }

  private Line take(Position after) {
    Line line = new Line(partial.toString(), after);
    partial.setLength(0);
    handedOut = after;
    return line;
  }

  /** The prefix of this step's lines in a run's log: {@code [build]}, {@code [test 2]}, ... */
  String label() {
    StringBuilder label = new StringBuilder("[").append(name);
    if (!fanOutIndex.isEmpty()) {
      label.append(' ').append(fanOutIndex);
    }
    if (attempt > 1) {
      label.append(", attempt ").append(attempt);
    }
    return label.append("] ").toString();
  }
}
