package dev.caravan.app;

import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.util.Locale;

/**
 * What platform-http on Spring Boot can parse as an {@code application/x-www-form-urlencoded} body
 * before any route runs: {@code key=value} fields joined by {@code &}, every {@code %} followed by
 * two hex digits. Anything else makes it fail with a 500 (a field that is not a pair, {@code %ZZ},
 * a lone {@code %}). The charset is no concern: Spring Boot forces UTF-8 on requests.
 */
final class FormBodies {

  private FormBodies() {}

  static boolean isForm(String contentType) {
    return contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
  }

  /** Whether Java can decode this charset; {@code null} (none given) means UTF-8. */
  static boolean knownCharset(String charset) {
    try {
      return charset == null || Charset.isSupported(charset);
    } catch (IllegalCharsetNameException e) {
      return false;
    }
  }

  /**
   * Whether the body parses: a scan, not a regular expression, as bodies go up to the size limit
   * (Java's regex engine recurses per repetition). An empty body parses, trailing {@code &} are
   * ignored (as Camel's split does).
   */
  static boolean parses(byte[] body) {
    int end = body.length;
    while (end > 0 && body[end - 1] == '&') {
      end--;
    }
    int fieldStart = 0;
    boolean pair = false;
    for (int i = 0; i < end; i++) {
      byte b = body[i];
      if (b == '&') {
        if (!pair) {
          return false;
        }
        fieldStart = i + 1;
        pair = false;
      } else if (b == '=' && !pair) {
        if (i == fieldStart) {
          return false;
        }
        pair = true;
      } else if (b == '%') {
        if (i + 2 >= end || !hex(body[i + 1]) || !hex(body[i + 2])) {
          return false;
        }
        i += 2;
      }
    }
    return end == 0 || pair;
  }

  private static boolean hex(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
  }
}
