package dev.caravan.kjob;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Hands the step to its executor and returns at once; the exchange continues when the step has
 * ended, with the step's output as body and its status in {@code Caravan*} headers.
 */
public class KjobProducer extends DefaultAsyncProducer {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> EVENT_VARIABLES =
      Map.of(
          KjobConstants.EVENT_ID, "CARAVAN_EVENT_ID",
          KjobConstants.EVENT_SOURCE, "CARAVAN_EVENT_SOURCE",
          KjobConstants.EVENT_TYPE, "CARAVAN_EVENT_TYPE",
          KjobConstants.EVENT_SUBJECT, "CARAVAN_EVENT_SUBJECT",
          KjobConstants.EVENT_TIME, "CARAVAN_EVENT_TIME");

  /** Exchange property: the step and attempt number that failed last. */
  static final String FAILED_ATTEMPT = "CaravanFailedAttempt";

  private final KjobEndpoint endpoint;
  private final StepSpecResolver resolver;

  public KjobProducer(KjobEndpoint endpoint) {
    super(endpoint);
    this.endpoint = endpoint;
    this.resolver = new StepSpecResolver(endpoint);
  }

  @Override
  public boolean process(Exchange exchange, AsyncCallback callback) {
    KjobComponent component = endpoint.getComponent();
    StepJournal journal = component.journal();
    StepRequest request;
    StepExecutor executor;
    boolean recorded;
    try {
      request = request(exchange);
      StepJournal.RunState run = journal.runState(request.runId());
      if (run == StepJournal.RunState.CANCELED) {
        throw new StepCanceledException(exchange, request.stepName(), request.jobName(), null, "");
      }
      recorded = run == StepJournal.RunState.ACTIVE;
      if (recorded) {
        Optional<StepRecord> earlier = earlierAttempt(journal, request, exchange);
        if (earlier.isPresent() && earlier.get().hasEnded()) {
          // resumed or replayed run: this step already ended, give back what it gave
          StepRecord step = earlier.get();
          complete(exchange, request.withAttempt(step.attempt()), step.toResult());
          callback.done(true);
          return true;
        }
        if (earlier.isPresent()) {
          // the step was running when Caravan stopped: the same attempt again (a Job is
          // re-attached; a local process is killed first, then run again)
          request = request.withAttempt(earlier.get().attempt());
          if (earlier.get().pid() != null) {
            component.localExecutor().killOrphan(earlier.get().pid());
          }
        }
      }
      executor = component.executorFor(request.spec().executor());
      if (recorded) {
        journal.started(request, executorName(request), request.spec().namespace(), null);
      }
    } catch (Exception e) {
      exchange.setException(e);
      callback.done(true);
      return true;
    }
    StepRequest started = request;
    Optional<String> cannotStart = StepStartCheck.problem(started, component.checkoutPolicy());
    if (cannotStart.isPresent()) {
      try {
        endUnstarted(exchange, started, recorded, journal, "could not start", cannotStart.get());
      } catch (RuntimeException e) {
        exchange.setException(e);
      }
      callback.done(true);
      return true;
    }
    StepMetrics.started();
    CompletableFuture<StepResult> execution;
    try {
      execution = executor.execute(started);
    } catch (RuntimeException e) {
      execution = CompletableFuture.failedFuture(e);
    }
    execution.whenComplete(
        (result, error) -> {
          StepMetrics.ended(started, result);
          try {
            if (error != null) {
              executorFailed(exchange, started, recorded, journal, unwrap(error));
            } else {
              if (recorded) {
                journal.ended(started, result);
              }
              complete(exchange, started, result);
            }
          } catch (RuntimeException e) {
            exchange.setException(e);
          } finally {
            callback.done(false);
          }
        });
    return false;
  }

  /**
   * The executor failed instead of giving a result. While Caravan stops, that is no verdict on the
   * step (its run is resumed); otherwise the step is FAILED, the reason (escaped) in its log.
   */
  private void executorFailed(
      Exchange exchange,
      StepRequest request,
      boolean recorded,
      StepJournal journal,
      Throwable error) {
    if (error instanceof StepInterruptedException || stopping()) {
      exchange.setException(error);
      return;
    }
    boolean notStarted = error instanceof StepStartException;
    String reason = notStarted ? error.getMessage() : error.toString();
    endUnstarted(
        exchange,
        request,
        recorded,
        journal,
        notStarted ? "could not start" : "failed in Caravan",
        LogSafe.escape(reason, 1000));

    if (!notStarted || error.getCause() != null) {
      exchange.getException().initCause(LogSafe.escaped(notStarted ? error.getCause() : error));
    }
  }

  /**
   * Ends a step that never ran (or whose executor failed): FAILED without an exit code, {@code
   * [caravan: the step <what>: <reason>]} as its log, recorded like any other end. The reason must
   * already be safe for a log line (see {@link LogSafe}).
   */
  private static void endUnstarted(
      Exchange exchange,
      StepRequest request,
      boolean recorded,
      StepJournal journal,
      String what,
      String reason) {
    Instant now = Instant.now();
    StepResult result =
        new StepResult(
            request.jobName(),
            StepStatus.FAILED,
            null,
            "[caravan: the step " + what + ": " + reason + "]\n",
            now,
            now);
    if (recorded) {
      journal.ended(request, result);
    }
    complete(exchange, request, result);
  }

  private boolean stopping() {
    return !isRunAllowed()
        || endpoint.getComponent().isStoppingOrStopped()
        || endpoint.getCamelContext().isStopping();
  }

  /**
   * The attempt of this step that this execution continues: the latest one recorded in the run
   * (unless Camel is already past it, retrying), or a succeeded one of the run a replay reuses.
   */
  private static Optional<StepRecord> earlierAttempt(
      StepJournal journal, StepRequest request, Exchange exchange) {
    Optional<StepRecord> latest =
        journal.latest(request.runId(), request.stepName(), request.fanOutIndex());
    if (latest.isPresent()) {
      return latest.get().attempt() >= request.attempt() ? latest : Optional.empty();
    }
    String reuseRun = exchange.getMessage().getHeader(KjobConstants.REUSE_RUN, String.class);
    if (reuseRun == null) {
      return Optional.empty();
    }
    Optional<StepRecord> reused =
        journal.latest(reuseRun, request.stepName(), request.fanOutIndex());
    if (reused.isPresent() && reused.get().status() == StepStatus.SUCCEEDED) {
      journal.copy(reuseRun, request.runId(), request.stepName(), request.fanOutIndex());
      return reused;
    }
    return Optional.empty();
  }

  private static String executorName(StepRequest request) {
    return request.spec().executor().name().toLowerCase(java.util.Locale.ROOT);
  }

  private StepRequest request(Exchange exchange) throws JsonProcessingException {
    StepSpec spec = resolver.resolve(exchange);
    Message message = exchange.getMessage();
    String runId = runId(exchange);
    String fanOutIndex = fanOutIndex(exchange);
    int attempt = attempt(exchange, runId, spec.stepName(), fanOutIndex);
    String jobName = StepNames.jobName(runId, spec.stepName(), fanOutIndex, attempt);

    Map<String, String> caravanEnv = new LinkedHashMap<>();
    caravanEnv.put("CARAVAN_RUN_ID", runId);
    caravanEnv.put("CARAVAN_STEP", spec.stepName());
    caravanEnv.put("CARAVAN_JOB_NAME", jobName);
    EVENT_VARIABLES.forEach(
        (header, variable) -> {
          String value = message.getHeader(header, String.class);
          if (value != null) {
            caravanEnv.put(variable, value);
          }
        });
    return new StepRequest(
        spec,
        runId,
        fanOutIndex,
        attempt,
        jobName,
        message.getHeader(KjobConstants.EVENT_ID, String.class),
        caravanEnv,
        eventJson(message.getHeader(KjobConstants.EVENT)),
        input(message));
  }

  /** The step's standard input: JSON for event data (maps and lists), else the body's bytes. */
  private static byte[] input(Message message) throws JsonProcessingException {
    Object body = message.getBody();
    if (body instanceof Map<?, ?> || body instanceof java.util.Collection<?>) {
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

  private static String stepKey(String runId, String step, String fanOutIndex) {
    return runId + '\n' + step + '\n' + fanOutIndex + '\n';
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

  private static String eventJson(Object event) throws JsonProcessingException {
    if (event == null) {
      return null;
    }
    if (event instanceof String text) {
      return text;
    }
    if (event instanceof byte[] bytes) {
      return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
    return JSON.writeValueAsString(event);
  }

  private static void complete(Exchange exchange, StepRequest request, StepResult result) {
    Message message = exchange.getMessage();
    message.setBody(result.output());
    message.setHeader(KjobConstants.STEP_STATUS, result.status());
    message.setHeader(KjobConstants.EXIT_CODE, result.exitCode());
    message.setHeader(KjobConstants.JOB_NAME, result.jobName());
    message.setHeader(KjobConstants.STEP_DURATION, result.duration().toMillis());
    message.setHeader(KjobConstants.STEP_STARTED, result.started());
    message.setHeader(KjobConstants.STEP_ENDED, result.ended());
    String key = stepKey(request.runId(), request.stepName(), request.fanOutIndex());
    if (result.status() == StepStatus.SUCCEEDED) {
      exchange.removeProperty(FAILED_ATTEMPT);
    } else {
      exchange.setProperty(FAILED_ATTEMPT, key + request.attempt());
    }
    String tail = result.tail(request.spec().logTailLines());
    String step = request.stepName();
    switch (result.status()) {
      case SUCCEEDED -> {}
      case FAILED ->
          exchange.setException(
              new StepFailedException(exchange, step, result.jobName(), result.exitCode(), tail));
      case TIMED_OUT ->
          exchange.setException(
              new StepTimeoutException(exchange, step, result.jobName(), result.exitCode(), tail));
      case CANCELED ->
          exchange.setException(
              new StepCanceledException(exchange, step, result.jobName(), result.exitCode(), tail));
    }
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }
}
