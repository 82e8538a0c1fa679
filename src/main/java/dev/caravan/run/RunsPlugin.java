package dev.caravan.run;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.ContextServicePlugin;
import org.apache.camel.support.CamelContextHelper;

/**
 * Gives every CamelContext its run layer (found by Camel through {@code
 * META-INF/services/org.apache.camel.spi.ContextServicePlugin}), so that routes of {@code event:}
 * pipelines record runs the same under Spring Boot, camel-main and Camel K without any wiring.
 * Settings, read when the event component opens the store: {@code caravan.runs.lease-timeout} (30s)
 * and {@code caravan.runs.max-attempts} (3).
 */
public class RunsPlugin implements ContextServicePlugin {

  @Override
  public void load(CamelContext camelContext) {
    if (CamelContextHelper.findSingleByType(camelContext, Runs.class) != null) {
      return;
    }
    Runs runs = new Runs(camelContext);
    camelContext.getRegistry().bind("caravanRuns", runs);
    camelContext.getRegistry().bind("caravanRunDispatcher", runs.dispatcher());
    camelContext.getRegistry().bind("caravanStepJournal", runs.journalView());
  }
}
