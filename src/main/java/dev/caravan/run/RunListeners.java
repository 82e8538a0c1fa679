package dev.caravan.run;

import java.util.function.Consumer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the {@link RunListener}s of the Camel registry what a run did; their failures are logged.
 */
final class RunListeners {

  private static final Logger LOG = LoggerFactory.getLogger(RunListeners.class);

  private RunListeners() {}

  /**
   * The run ended as its exchange did (its summary header, the error that ended it), with the
   * status the store recorded: a run canceled while its exchange went on (by hand, or superseded in
   * its concurrency group) ended CANCELED, whatever its route made of the canceled step.
   */
  static void runEnded(
      CamelContext camel, JdbcRunStore store, String runId, RunStatus status, Exchange exchange) {
    if (camel.getRegistry().findByType(RunListener.class).isEmpty()) {
      return;
    }
    RunStatus recorded = store.run(runId).map(RunView::status).orElse(status);
    String summary = exchange.getMessage().getHeader(RunConstants.RUN_SUMMARY, String.class);
    String error = RunErrors.messageOf(exchange.getException());
    tell(camel, listener -> listener.runEnded(runId, recorded, summary, error));
  }

  static void tell(CamelContext camel, Consumer<RunListener> call) {
    for (RunListener listener : camel.getRegistry().findByType(RunListener.class)) {
      try {
        call.accept(listener);
      } catch (RuntimeException e) {
        LOG.warn("Run listener {} failed: {}", listener.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
