package dev.caravan.kjob;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Message;

/**
 * Builds the {@link StepRequest} of one exchange: the resolved spec, the run and fan-out position,
 * the attempt, and what the step receives of its run's {@link StepEvent}.
 */
final class StepRequestBuilder {

  /** Exchange property: the step and attempt number that failed last. */
  static final String FAILED_ATTEMPT = "CaravanFailedAttempt";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final StepSpecResolver resolver;

  StepRequestBuilder(KjobEndpoint endpoint) {
    this.resolver = new StepSpecResolver(endpoint);
  }

  StepRequest request(Exchange exchange) throws JsonProcessingException {
    StepSpec spec = resolver.resolve(exchange);
    String runId = runId(exchange);
    String fanOutIndex = fanOutIndex(exchange);
    int attempt = attempt(exchange, runId, spec.stepName(), fanOutIndex);
    String jobName = StepNames.jobName(runId, spec.stepName(), fanOutIndex, attempt);
    StepEvent event = exchange.getProperty(KjobConstants.STEP_EVENT, StepEvent.class);

    Map<String, String> caravanEnv = new LinkedHashMap<>();
    caravanEnv.put("CARAVAN_RUN_ID", runId);
    caravanEnv.put("CARAVAN_STEP", spec.stepName());
    caravanEnv.put("CARAVAN_JOB_NAME", jobName);
    if (event != null) {
      putIfSet(caravanEnv, "CARAVAN_EVENT_ID", event.id());
      putIfSet(caravanEnv, "CARAVAN_EVENT_SOURCE", event.source());
      putIfSet(caravanEnv, "CARAVAN_EVENT_TYPE", event.type());
      putIfSet(caravanEnv, "CARAVAN_EVENT_SUBJECT", event.subject());
      putIfSet(
          caravanEnv, "CARAVAN_EVENT_TIME", event.time() == null ? null : event.time().toString());
    }
    return new StepRequest(
        spec,
        runId,
        fanOutIndex,
        attempt,
        jobName,
        event == null ? null : event.id(),
        caravanEnv,
        event == null ? null : event.json(),
        input(exchange.getMessage()));
  }

  /** The key under which {@link #FAILED_ATTEMPT} names a step of a run. */
  static String stepKey(String runId, String step, String fanOutIndex) {
    return runId + '\n' + step + '\n' + fanOutIndex + '\n';
  }

  private static void putIfSet(Map<String, String> env, String name, String value) {
    if (value != null) {
      env.put(name, value);
    }
  }

  /** The step's standard input: JSON for event data (maps and lists), else the body's bytes. */
  private static byte[] input(Message message) throws JsonProcessingException {
    Object body = message.getBody();
    if (body instanceof Map<?, ?> || body instanceof Collection<?>) {
      return JSON.writeValueAsBytes(body);
    }
    return message.getBody(byte[].class);
  }

  /**
   * 1, or one more than the last failed attempt of this very step when Camel redelivers it.
   * CamelRedeliveryCounter alone will not do: it stays on the message after a successful redelivery
   * and would number the next step's first Job as a retry.
   */
  private static int attempt(Exchange exchange, String runId, String step, String fanOutIndex) {
    String failed = exchange.getProperty(FAILED_ATTEMPT, String.class);
    String key = stepKey(runId, step, fanOutIndex);
    if (failed != null && failed.startsWith(key)) {
      return Integer.parseInt(failed.substring(key.length())) + 1;
    }
    return 1;
  }

  /** The run id, fixed on the exchange at its first step so later steps share it. */
  private static String runId(Exchange exchange) {
    String runId = exchange.getMessage().getHeader(KjobConstants.RUN_ID, String.class);
    if (runId == null || runId.isBlank()) {
      runId = exchange.getProperty(ExchangePropertyKey.CORRELATION_ID, String.class);
      if (runId == null) {
        runId = exchange.getExchangeId();
      }
      exchange.getMessage().setHeader(KjobConstants.RUN_ID, runId);
    }
    return runId;
  }

  private static String fanOutIndex(Exchange exchange) {
    String index = exchange.getMessage().getHeader(KjobConstants.FAN_OUT_INDEX, String.class);
    if (index == null) {
      Integer split = exchange.getProperty(ExchangePropertyKey.SPLIT_INDEX, Integer.class);
      Integer multicast = exchange.getProperty(ExchangePropertyKey.MULTICAST_INDEX, Integer.class);
      Integer loop = exchange.getProperty(ExchangePropertyKey.LOOP_INDEX, Integer.class);
      Integer position = split != null ? split : multicast;
      index = position == null ? "" : position.toString();
      if (loop != null) {
        // each round of a loop is a step of its own
        index = index + "L" + loop;
      }
    }
    return index;
  }
}
