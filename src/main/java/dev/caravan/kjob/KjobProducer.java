package dev.caravan.kjob;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Hands the step to its executor and returns at once; the exchange continues when the step has
 * ended, on kjob's pool ({@code kjob-continue}), with the step's output as body and its status in
 * {@code Caravan*} headers.
 */
public class KjobProducer extends DefaultAsyncProducer {

  private final KjobEndpoint endpoint;
  private final StepRequestBuilder requests;

  public KjobProducer(KjobEndpoint endpoint) {
    super(endpoint);
    this.endpoint = endpoint;
    this.requests = new StepRequestBuilder(endpoint);
  }

  @Override
  public boolean process(Exchange exchange, AsyncCallback callback) {
    KjobComponent component = endpoint.getComponent();
    StepJournal journal = component.journal();
    StepRequest request;
    StepExecutor executor;
    ExecutorService continuations;
    boolean recorded;
    try {
      StepExecutors executors = component.executors();
      continuations = executors.continuations();
      request = requests.request(exchange);
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
          // re-attached; what is left of a local process is killed first, then it runs again)
          StepRecord interrupted = earlier.get();
          request = request.withAttempt(interrupted.attempt());
          if (interrupted.executorType() == ExecutorType.LOCAL) {
            executors.local().killLeftovers(interrupted.jobName());
          }
        }
      }
      executor = executors.executorFor(request.spec().executor());
      if (recorded) {
        journal.started(
            request,
            request.spec().executor().optionValue(),
            request.spec().options().getNamespace());
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
          continueOn(
              continuations,
              exchange,
              callback,
              () -> {
                if (error != null) {
                  executorFailed(exchange, started, recorded, journal, unwrap(error));
                } else {
                  StepResult marked = TimeoutLine.appendTo(result, started.spec().timeout());
                  if (recorded) {
                    journal.ended(started, marked);
                  }
                  complete(exchange, started, marked);
                }
              });
        });
    return false;
  }

  /**
   * Runs the rest of the exchange on kjob's pool, never on the thread that saw the step end (one of
   * fabric8's or of a process exit). A pool that refuses because Camel stops ends the exchange at
   * once with the refusal (its run is resumed later); a full queue runs it here instead.
   */
  static void continueOn(
      ExecutorService pool, Exchange exchange, AsyncCallback callback, Runnable rest) {
    Runnable continuation =
        () -> {
          try {
            rest.run();
          } catch (RuntimeException e) {
            exchange.setException(e);
          } finally {
            callback.done(false);
          }
        };
    try {
      pool.execute(continuation);
    } catch (RejectedExecutionException e) {
      if (pool.isShutdown()) {
        exchange.setException(e);
        callback.done(false);
      } else {
        continuation.run();
      }
    }
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

  private static void complete(Exchange exchange, StepRequest request, StepResult result) {
    Message message = exchange.getMessage();
    message.setBody(result.output());
    message.setHeader(KjobConstants.STEP_STATUS, result.status());
    message.setHeader(KjobConstants.EXIT_CODE, result.exitCode());
    message.setHeader(KjobConstants.JOB_NAME, result.jobName());
    message.setHeader(KjobConstants.STEP_DURATION, result.duration().toMillis());
    message.setHeader(KjobConstants.STEP_STARTED, result.started());
    message.setHeader(KjobConstants.STEP_ENDED, result.ended());
    String key =
        StepRequestBuilder.stepKey(request.runId(), request.stepName(), request.fanOutIndex());
    if (result.status() == StepStatus.SUCCEEDED) {
      exchange.removeProperty(StepRequestBuilder.FAILED_ATTEMPT);
    } else {
      exchange.setProperty(StepRequestBuilder.FAILED_ATTEMPT, key + request.attempt());
    }
    String tail = result.tail(request.spec().options().getLogTailLines());
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
