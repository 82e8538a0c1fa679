package dev.caravan.run;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the store keeps: ended runs (with their steps and logs) and events, by age and by count.
 * Read from the {@code caravan.retention.*} properties; {@code 0} switches a limit off.
 *
 * @param enabled whether anything is deleted at all
 * @param maxAge ended runs that ended, and events that were received, longer ago are deleted
 *     ({@link Duration#ZERO}: no age limit)
 * @param maxRunsPerPipeline ended runs kept per pipeline, newest first (0: no count limit)
 * @param maxEvents events kept, newest first (0: no count limit)
 * @param interval time between two passes
 * @param batchSize rows deleted per transaction
 */
public record RetentionPolicy(
    boolean enabled,
    Duration maxAge,
    int maxRunsPerPipeline,
    int maxEvents,
    Duration interval,
    int batchSize) {

  public static final String PREFIX = "caravan.retention.";
  public static final String ENABLED = PREFIX + "enabled";
  public static final String MAX_AGE = PREFIX + "max-age";
  public static final String MAX_RUNS_PER_PIPELINE = PREFIX + "max-runs-per-pipeline";
  public static final String MAX_EVENTS = PREFIX + "max-events";
  public static final String INTERVAL = PREFIX + "interval";
  public static final String BATCH_SIZE = PREFIX + "batch-size";

  /** Largest batch: its ids are bound as parameters of one statement. */
  static final int MAX_BATCH_SIZE = 10_000;

  public static final RetentionPolicy DEFAULT =
      new RetentionPolicy(true, Duration.ofDays(30), 1000, 100_000, Duration.ofMinutes(1), 500);

  private static final Pattern DURATION =
      Pattern.compile("(?=\\d)(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?");

  public RetentionPolicy {
    if (maxAge.isNegative()) {
      throw new IllegalArgumentException(MAX_AGE + " must not be negative");
    }
    if (maxRunsPerPipeline < 0) {
      throw new IllegalArgumentException(MAX_RUNS_PER_PIPELINE + " must not be negative");
    }
    if (maxEvents < 0) {
      throw new IllegalArgumentException(MAX_EVENTS + " must not be negative");
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException(INTERVAL + " must be positive, e.g. 1m");
    }
    if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException(
          BATCH_SIZE + " must be between 1 and " + MAX_BATCH_SIZE + ", got " + batchSize);
    }
  }

  /**
   * The policy the properties give, the {@link #DEFAULT} values for those not set.
   *
   * @param properties looks a property up by its full key
   * @throws IllegalArgumentException naming the key of a value that is not valid
   */
  public static RetentionPolicy from(Function<String, Optional<String>> properties) {
    return new RetentionPolicy(
        bool(properties, ENABLED, DEFAULT.enabled),
        duration(properties, MAX_AGE, DEFAULT.maxAge),
        count(properties, MAX_RUNS_PER_PIPELINE, DEFAULT.maxRunsPerPipeline),
        count(properties, MAX_EVENTS, DEFAULT.maxEvents),
        duration(properties, INTERVAL, DEFAULT.interval),
        count(properties, BATCH_SIZE, DEFAULT.batchSize));
  }

  /**
   * Parses {@code 30d}, {@code 12h}, {@code 1m}, {@code 30s}, {@code 500ms}, combinations such as
   * {@code 1d12h}, ISO-8601 ({@code P30D}, {@code PT1M}) or {@code 0}. A plain number other than 0
   * is refused: {@code max-age=30} would otherwise mean 30 ms and delete everything.
   */
  static Duration parseDuration(String key, String value) {
    String text = value.trim();
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    if (text.toUpperCase(Locale.ROOT).startsWith("P")) {
      try {
        return Duration.parse(text);
      } catch (DateTimeParseException e) {
        throw invalid(key, value, "expected a duration such as 30d, 12h, 1m or 500ms");
      }
    }
    Matcher parts = DURATION.matcher(text);
    if (text.chars().allMatch(Character::isDigit) || !parts.matches()) {
      throw invalid(key, value, "expected a duration such as 30d, 12h, 1m or 500ms");
    }
    return Duration.ofDays(number(parts.group(1)))
        .plusHours(number(parts.group(2)))
        .plusMinutes(number(parts.group(3)))
        .plusSeconds(number(parts.group(4)))
        .plusMillis(number(parts.group(5)));
  }

  private static long number(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }

  private static Duration duration(
      Function<String, Optional<String>> properties, String key, Duration fallback) {
    return value(properties, key).map(text -> parseDuration(key, text)).orElse(fallback);
  }

  private static int count(
      Function<String, Optional<String>> properties, String key, int fallback) {
    return value(properties, key)
        .map(
            text -> {
              try {
                return Integer.parseInt(text.trim());
              } catch (NumberFormatException e) {
                throw invalid(key, text, "expected a whole number");
              }
            })
        .orElse(fallback);
  }

  private static boolean bool(
      Function<String, Optional<String>> properties, String key, boolean fallback) {
    return value(properties, key)
        .map(
            text -> {
              if (text.trim().equalsIgnoreCase("true")) {
                return true;
              }
              if (text.trim().equalsIgnoreCase("false")) {
                return false;
              }
              throw invalid(key, text, "expected true or false");
            })
        .orElse(fallback);
  }

  private static Optional<String> value(Function<String, Optional<String>> properties, String key) {
    return properties.apply(key).filter(text -> !text.isBlank());
  }

  private static IllegalArgumentException invalid(String key, String value, String expected) {
    return new IllegalArgumentException("Invalid " + key + "=" + value + ": " + expected);
  }
}
