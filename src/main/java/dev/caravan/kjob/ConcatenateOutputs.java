package dev.caravan.kjob;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Joins the outputs of parallel steps in their declared order, as a shell's {@code { a; b; }}
 * would: use it as a multicast's aggregationStrategy ({@code
 * #class:dev.caravan.kjob.ConcatenateOutputs}).
 */
public class ConcatenateOutputs implements AggregationStrategy {

  @Override
  public Exchange aggregate(Exchange joined, Exchange next) {
    if (joined == null) {
      return next;
    }
    String before = joined.getMessage().getBody(String.class);
    String after = next.getMessage().getBody(String.class);
    joined.getMessage().setBody((before == null ? "" : before) + (after == null ? "" : after));
    return joined;
  }
}
