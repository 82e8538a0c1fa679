package dev.caravan.api;

/**
 * What a client of {@code GET /api/stream} gets: an event per change of a run or step after its
 * position (the seq of the last change it got), optionally only those of one run or pipeline, and a
 * heartbeat comment when quiet. Never ends by itself.
 */
final class StreamSource implements LogFollower.Source {

  /** Most changes handed out at a time. */
  private static final int PER_LOOK = 100;

  private final ChangeStream stream;
  private final String run;
  private final String pipeline;
  private long cursor;

  /**
   * @param cursor the seq of the last change the client got, or -1 for what comes from now
   * @param run only this run's changes, or {@code null}
   * @param pipeline only this pipeline's changes, or {@code null}
   */
  StreamSource(ChangeStream stream, long cursor, String run, String pipeline) {
    this.stream = stream;
    this.cursor = cursor;
    this.run = run;
    this.pipeline = pipeline;
  }

  @Override
  public String next() {
    if (cursor < 0) {
      cursor = stream.delivered();
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (ChangeStream.Item item : stream.after(cursor, PER_LOOK)) {
      cursor = item.seq();
      if (item.frame() != null
          && (run == null || run.equals(item.runId()))
          && (pipeline == null || pipeline.equals(item.pipeline()))) {
        out.append(item.frame());
      }
    }
    return out.toString();
  }

  @Override
  public String heartbeat() {
    return EventStreams.HEARTBEAT;
  }
}
