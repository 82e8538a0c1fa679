package dev.caravan.event;

import java.util.Arrays;
import java.util.function.Supplier;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;

/**
 * How a subscriber's runs form concurrency groups: the consumer options {@code concurrencyKey},
 * {@code concurrencyLimit} and {@code onConflict}. The bus names each delivery's group; the layer
 * that makes deliveries runs (Caravan's run layer) keeps the groups in the store and applies the
 * limit when it takes them.
 */
public final class ConcurrencyGroups {

  /** Most characters of a group's name (the store's column). */
  public static final int MAX_KEY_LENGTH = 1024;

  /** What a new run does when its group is full. */
  public enum OnConflict {
    /** Waits (QUEUED) and starts in arrival order. */
    QUEUE("queue"),
    /** The oldest running run of the group is canceled, superseded by the new one. */
    CANCEL_RUNNING("cancelRunning"),
    /** The new run ends at once, SKIPPED. */
    SKIP("skip");

    private final String option;

    OnConflict(String option) {
      this.option = option;
    }

    /** The value as the option spells it. */
    public String option() {
      return option;
    }

    static OnConflict parse(String source, String value) {
      return Arrays.stream(values())
          .filter(candidate -> candidate.option.equalsIgnoreCase(value))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "event:"
                          + source
                          + ": onConflict must be queue, cancelRunning or skip, not '"
                          + value
                          + "'"));
    }
  }

  /** No groups: the pipeline's runs are bounded by its concurrency alone. */
  public static final ConcurrencyGroups NONE =
      new ConcurrencyGroups(null, null, 0, OnConflict.QUEUE, null);

  private final String keyText;
  private final Expression key;
  private final int limit;
  private final OnConflict onConflict;
  private final Supplier<Exchange> exchanges;

  private ConcurrencyGroups(
      String keyText,
      Expression key,
      int limit,
      OnConflict onConflict,
      Supplier<Exchange> exchanges) {
    this.keyText = keyText;
    this.key = key;
    this.limit = limit;
    this.onConflict = onConflict;
    this.exchanges = exchanges;
  }

  /**
   * The groups an endpoint's options describe.
   *
   * @throws IllegalArgumentException naming the option that is wrong
   */
  static ConcurrencyGroups of(EventEndpoint endpoint) {
    String source = endpoint.getSource();
    String keyText = blankToNull(endpoint.getConcurrencyKey());
    String conflictText = blankToNull(endpoint.getOnConflict());
    int limit = endpoint.getConcurrencyLimit();
    if (limit < 0) {
      throw new IllegalArgumentException(
          "event:" + source + ": concurrencyLimit must be 0 (no limit) or more");
    }
    if (limit == 0 && (keyText != null || conflictText != null)) {
      throw new IllegalArgumentException(
          "event:"
              + source
              + ": "
              + (keyText != null ? "concurrencyKey" : "onConflict")
              + " needs concurrencyLimit (most runs of one group in flight), which is 0 (no"
              + " limit)");
    }
    OnConflict onConflict =
        conflictText == null ? OnConflict.QUEUE : OnConflict.parse(source, conflictText);
    if (limit == 0) {
      return NONE;
    }
    Expression key = null;
    if (keyText != null) {
      try {
        key = endpoint.getCamelContext().resolveLanguage("simple").createExpression(keyText);
        key.init(endpoint.getCamelContext());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "event:" + source + ": concurrencyKey is not a Simple expression: " + e.getMessage(),
            e);
      }
    }
    return new ConcurrencyGroups(keyText, key, limit, onConflict, endpoint::createExchange);
  }

  /** The whole pipeline as one group (no concurrencyKey). */
  public static ConcurrencyGroups perPipeline(int limit, OnConflict onConflict) {
    if (limit < 1) {
      throw new IllegalArgumentException("concurrencyLimit must be at least 1 for a group");
    }
    return new ConcurrencyGroups(null, null, limit, onConflict, null);
  }

  /** Whether the subscriber's runs are limited per group at all. */
  public boolean limited() {
    return limit > 0;
  }

  /** Most runs of one group in flight; 0 when not {@link #limited()}. */
  public int limit() {
    return limit;
  }

  public OnConflict onConflict() {
    return onConflict;
  }

  /**
   * The group of a delivery: the key's value over its event (as the pipeline's exchange would see
   * it), or the subscriber's id when there is no key.
   *
   * @throws IllegalArgumentException when the key cannot be evaluated, or its value is too long
   */
  public String groupOf(Delivery delivery) {
    if (key == null) {
      return delivery.subscriber();
    }
    Exchange exchange = exchanges.get();
    EventConsumer.describe(exchange.getMessage(), delivery.event());
    String value;
    try {
      value = key.evaluate(exchange, String.class);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "concurrencyKey " + keyText + " could not be evaluated: " + e.getMessage(), e);
    }
    if (exchange.getException() != null) {
      throw new IllegalArgumentException(
          "concurrencyKey "
              + keyText
              + " could not be evaluated: "
              + exchange.getException().getMessage(),
          exchange.getException());
    }
    value = value == null ? "" : value;
    if (value.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "concurrencyKey "
              + keyText
              + " gave "
              + value.length()
              + " characters; a group's name has at most "
              + MAX_KEY_LENGTH);
    }
    return value;
  }

  @Override
  public String toString() {
    return limited()
        ? "limit "
            + limit
            + " per "
            + (keyText == null ? "pipeline" : keyText)
            + ", onConflict "
            + onConflict.option()
        : "no groups";
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
