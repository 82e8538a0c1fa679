package dev.caravan.kjob;

/**
 * Text that may hold event data, made safe for one log line or exception message: CR, LF, NUL, tab
 * and every other control or line-separating character is written as an escape ({@code \n}, {@code
 * \r}, {@code \0}, {@code \t}, {@code \u2028}), so a value can neither forge log lines nor hide
 * what follows it, and long values are cut.
 */
public final class LogSafe {

  /** Most characters of one value kept in a message. */
  public static final int MAX_CHARS = 200;

  private LogSafe() {}

  /**
   * A copy of the error for logs: each message of its chain escaped (class name included), the
   * stack traces kept.
   */
  public static RuntimeException escaped(Throwable error) {
    return escaped(error, 0);
  }

  private static RuntimeException escaped(Throwable error, int depth) {
    Escaped copy = new Escaped(escape(error.toString(), 1000));
    copy.setStackTrace(error.getStackTrace());
    if (error.getCause() != null && error.getCause() != error && depth < 8) {
      copy.initCause(escaped(error.getCause(), depth + 1));
    }
    return copy;
  }

  /** An error whose message was escaped; its stack trace is the original's. */
  static final class Escaped extends RuntimeException {
    Escaped(String message) {
      super(message);
    }
  }

  /** The value escaped and cut to {@link #MAX_CHARS}; {@code "null"} for {@code null}. */
  public static String escape(String value) {
    return escape(value, MAX_CHARS);
  }

  /** The value escaped and cut to {@code max} characters of the original. */
  public static String escape(String value, int max) {
    if (value == null) {
      return "null";
    }
    StringBuilder safe = new StringBuilder(Math.min(value.length(), max) + 16);
    int end = Math.min(value.length(), max);
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\n' -> safe.append("\\n");
        case '\r' -> safe.append("\\r");
        case '\t' -> safe.append("\\t");
        case '\0' -> safe.append("\\0");
        case '\\' -> safe.append("\\\\");
        default -> {
          if (Character.isISOControl(c)
              || c == '\u2028'
              || c == '\u2029'
              || c == '\u0085'
              || Character.getType(c) == Character.FORMAT) {
            safe.append(String.format("\\u%04x", (int) c));
          } else {
            safe.append(c);
          }
        }
      }
    }
    if (value.length() > max) {
      safe.append("...(").append(value.length() - max).append(" more characters)");
    }
    return safe.toString();
  }
}
