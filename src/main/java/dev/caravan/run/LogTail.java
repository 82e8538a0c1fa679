package dev.caravan.run;

import java.nio.charset.StandardCharsets;

/**
 * The tail of a step's log that says why it failed, as the API's reason and a GitHub check run's
 * summary show it.
 */
public final class LogTail {

  /** Most lines of a step's log in a reason. */
  public static final int MAX_LINES = 20;

  /** Most bytes (UTF-8) of those lines. */
  public static final int MAX_BYTES = 4096;

  private LogTail() {}

  /** The last {@link #MAX_LINES} lines of a log, at most {@link #MAX_BYTES} bytes of them. */
  public static String lastLines(String log) {
    if (log == null || log.isEmpty()) {
      return "";
    }
    int from = log.endsWith("\n") ? log.length() - 1 : log.length();
    for (int lines = 0; lines < MAX_LINES && from > 0; lines++) {
      from = log.lastIndexOf('\n', from - 1);
      if (from < 0) {
        from = -1;
        break;
      }
    }
    String tail = log.substring(from + 1);
    byte[] bytes = tail.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_BYTES) {
      return tail;
    }
    // the last MAX_BYTES bytes, from a whole character, and from a whole line when there is one
    int cut = bytes.length - MAX_BYTES;
    while (cut < bytes.length && (bytes[cut] & 0xc0) == 0x80) {
      cut++;
    }
    String last = new String(bytes, cut, bytes.length - cut, StandardCharsets.UTF_8);
    int line = last.indexOf('\n');
    return line >= 0 && line < last.length() - 1 ? last.substring(line + 1) : last;
  }
}
