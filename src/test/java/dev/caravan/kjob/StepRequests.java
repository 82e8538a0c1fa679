package dev.caravan.kjob;

import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;

/** Step requests for tests of journals, resolved from a kjob URI as the producer does. */
public final class StepRequests {

  private StepRequests() {}

  /** A local {@code script=true} step of the run, as the given attempt. */
  public static StepRequest local(String runId, String stepName, String fanOutIndex, int attempt)
      throws Exception {
    try (CamelContext camel = new DefaultCamelContext()) {
      camel.addComponent("kjob", new KjobComponent());
      camel.start();
      KjobEndpoint endpoint =
          camel.getEndpoint("kjob:" + stepName + "?executor=local&script=true", KjobEndpoint.class);
      StepSpec spec = new StepSpecResolver(endpoint).resolve(new DefaultExchange(camel));
      return new StepRequest(
          spec,
          runId,
          fanOutIndex,
          attempt,
          StepNames.jobName(runId, stepName, fanOutIndex, attempt),
          null,
          Map.of(),
          null,
          null);
    }
  }
}
