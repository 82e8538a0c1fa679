package dev.caravan.graph;

import java.util.Comparator;

/**
 * A fan-out index as the API shows it. kjob records it as text: empty without fan-out, the split's
 * or multicast's index ({@code "3"}), or whatever the route set as {@code CaravanFanOutIndex} or a
 * loop made of it ({@code "0L2"}).
 */
public final class FanOutIndex {

  /** Numeric indexes first, in order, then the others as text. */
  public static final Comparator<String> ORDER =
      Comparator.comparing((String index) -> number(index) == null)
          .thenComparing(index -> number(index) == null ? 0L : number(index))
          .thenComparing(Comparator.naturalOrder());

  private FanOutIndex() {}

  /** {@code null} without fan-out, a number for a decimal index, else the recorded text. */
  public static Object json(String recorded) {
    if (recorded == null || recorded.isEmpty()) {
      return null;
    }
    Long number = number(recorded);
    return number == null ? recorded : number;
  }

  /** Whether an index given as a query parameter names the recorded one ("3", "03" and 3 alike). */
  public static boolean matches(String given, String recorded) {
    Long wanted = number(given);
    Long found = number(recorded);
    return wanted != null && found != null ? wanted.equals(found) : given.equals(recorded);
  }

  private static Long number(String text) {
    if (text == null || text.isEmpty() || text.length() > 18) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return null;
      }
    }
    return Long.parseLong(text);
  }
}
