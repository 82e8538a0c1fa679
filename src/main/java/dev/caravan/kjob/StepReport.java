package dev.caravan.kjob;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Message;

/**
 * Fan-in of steps that may fail: the aggregation strategy of a {@code multicast} or {@code split}
 * ({@code #class:dev.caravan.kjob.StepReport}) that records, for each branch or item, whether it
 * passed, and turns the lot into a report. Failures of one branch do not stop the others (catch
 * them per branch with {@code doTry}, so that the error handler does not log them as failures of
 * the route); the report is the verdict.
 *
 * <p>Per branch or item it reads:
 *
 * <ul>
 *   <li>{@code CaravanReportItem} (header): the item's name in the report; default its index;
 *   <li>{@code CaravanReportPassed} (header, boolean): whether it passed; default: true unless it
 *       ended with an exception, or caught one ({@code doCatch});
 *   <li>the exception it ended with or caught: for a {@link StepException} its exit code and log
 *       tail ({@link StepException#getLogTail()}), else its message. An exception the branch ended
 *       with is taken into the report and removed, so the fan-in itself does not fail.
 * </ul>
 *
 * <p>After the fan-in: header {@code CaravanReportPassed} is true when every item passed, {@code
 * CaravanReportFailed} names the failed items (comma-separated, empty when none), the exchange
 * property {@code CaravanReportItems} holds the {@link Item}s in declared order, and the body is
 * the report as text, one line per item with the log tail of each failure indented below it ({@code
 * CaravanReportItem} is removed):
 *
 * <pre>
 * 2 of 3 passed; failed: 21
 * 17: passed
 * 21: FAILED (exit code 1)
 *     ...last lines of its output...
 * 25: passed
 * </pre>
 *
 * Other headers and properties are those of the first branch or item.
 */
public class StepReport implements AggregationStrategy {

  /** Per branch: its name in the report. */
  public static final String ITEM = "CaravanReportItem";

  /** Per branch: whether it passed. After the fan-in: whether all passed. */
  public static final String PASSED = "CaravanReportPassed";

  /** After the fan-in: the names of the failed items, comma-separated. */
  public static final String FAILED = "CaravanReportFailed";

  /** After the fan-in (exchange property): the {@link Item}s, in declared order. */
  public static final String ITEMS = "CaravanReportItems";

  /** One branch or item: its outcome, and for a failure what the step left behind. */
  public record Item(
      int index,
      String name,
      boolean passed,
      StepStatus status,
      Integer exitCode,
      String error,
      String logTail) {}

  @Override
  public Exchange aggregate(Exchange report, Exchange next) {
    Item item = item(next);
    next.setException(null);
    next.removeProperty(ExchangePropertyKey.EXCEPTION_CAUGHT);
    Exchange answer = report == null ? next : report;
    @SuppressWarnings("unchecked")
    List<Item> items = answer.getProperty(ITEMS, List.class);
    if (items == null) {
      items = new ArrayList<>();
      answer.setProperty(ITEMS, items);
    }
    items.add(item);
    return answer;
  }

  @Override
  public void onCompletion(Exchange exchange) {
    if (exchange == null) {
      return;
    }
    @SuppressWarnings("unchecked")
    List<Item> items = exchange.getProperty(ITEMS, List.class);
    if (items == null) {
      items = new ArrayList<>();
    }
    items.sort(Comparator.comparingInt(Item::index));
    exchange.setProperty(ITEMS, List.copyOf(items));
    // the first item's position is not the fan-in's: later steps must not take it as their
    // fan-out index (an enclosing split's own index, on the input exchange, stays)
    exchange.removeProperty(ExchangePropertyKey.SPLIT_INDEX);
    exchange.removeProperty(ExchangePropertyKey.SPLIT_SIZE);
    exchange.removeProperty(ExchangePropertyKey.SPLIT_COMPLETE);
    exchange.removeProperty(ExchangePropertyKey.MULTICAST_INDEX);
    exchange.removeProperty(ExchangePropertyKey.MULTICAST_COMPLETE);
    List<String> failed = items.stream().filter(i -> !i.passed()).map(Item::name).toList();
    Message message = exchange.getMessage();
    message.removeHeader(ITEM);
    message.setHeader(PASSED, failed.isEmpty());
    message.setHeader(FAILED, String.join(", ", failed));
    message.setBody(text(items, failed));
  }

  static Item item(Exchange exchange) {
    Integer index = exchange.getProperty(ExchangePropertyKey.SPLIT_INDEX, Integer.class);
    if (index == null) {
      index = exchange.getProperty(ExchangePropertyKey.MULTICAST_INDEX, Integer.class);
    }
    int position = index == null ? 0 : index;
    Message message = exchange.getMessage();
    String name = message.getHeader(ITEM, String.class);
    if (name == null || name.isBlank()) {
      name = Integer.toString(position);
    }
    Exception failure = exchange.getException();
    if (failure == null) {
      failure = exchange.getProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, Exception.class);
    }
    Boolean passed = message.getHeader(PASSED, Boolean.class);
    if (passed == null || exchange.getException() != null) {
      passed = failure == null;
    }
    if (passed) {
      return new Item(position, name, true, StepStatus.SUCCEEDED, 0, null, null);
    }
    if (failure instanceof StepException step) {
      return new Item(
          position,
          name,
          false,
          step.getStatus(),
          step.getExitCode(),
          step.getClass().getSimpleName(),
          step.getLogTail());
    }
    String error =
        failure == null
            ? null
            : failure.getClass().getSimpleName()
                + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    return new Item(position, name, false, null, null, error, null);
  }

  static String text(List<Item> items, List<String> failed) {
    StringBuilder text = new StringBuilder();
    text.append(items.size() - failed.size()).append(" of ").append(items.size()).append(" passed");
    if (!failed.isEmpty()) {
      text.append("; failed: ").append(String.join(", ", failed));
    }
    text.append('\n');
    for (Item item : items) {
      text.append(item.name()).append(": ");
      if (item.passed()) {
        text.append("passed\n");
        continue;
      }
      text.append("FAILED");
      if (item.status() == StepStatus.FAILED) {
        text.append(" (exit code ").append(item.exitCode()).append(')');
      } else if (item.status() != null) {
        text.append(" (").append(item.status()).append(')');
      } else if (item.error() != null) {
        text.append(" (").append(item.error()).append(')');
      }
      text.append('\n');
      if (item.logTail() != null && !item.logTail().isEmpty()) {
        text.append(
            item.logTail()
                .lines()
                .map(line -> "    " + line)
                .collect(Collectors.joining("\n", "", "\n")));
      }
    }
    return text.toString();
  }
}
