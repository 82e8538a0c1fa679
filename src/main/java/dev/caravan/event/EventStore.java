package dev.caravan.event;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Durable events, subscriptions and the runs that deliver events to pipelines. */
public interface EventStore {

  /**
   * Stores the event, with one PENDING run for each subscription it matches, in one transaction.
   *
   * @return {@code false} when an event with that id was stored before (nothing changes)
   */
  boolean append(Event event);

  /** Registers (or updates) a subscription; it receives events appended from now on. */
  void subscribe(Subscription subscription);

  List<Subscription> subscriptions();

  /** The oldest PENDING runs of the pipeline, at most {@code limit}. */
  List<Delivery> pending(String pipeline, int limit);

  /**
   * Claims a PENDING run for this Caravan instance: it becomes RUNNING (its first attempt).
   *
   * @return {@code false} when someone else claimed it first
   */
  boolean start(String runId, String owner);

  /**
   * Records how a run ended; a run canceled meanwhile stays CANCELED.
   *
   * @param summary what the pipeline reported (header CaravanRunSummary), or {@code null}
   */
  void finish(String runId, RunStatus status, String summary);

  /**
   * Takes over the RUNNING runs of the pipeline whose owner is gone (no heartbeat since {@code
   * staleBefore}, e.g. a Caravan that crashed), so that they are resumed once; a run that was
   * started or taken over {@code maxRunAttempts} times already becomes FAILED instead, with a
   * summary saying why (a run that keeps crashing Caravan is not resumed for ever).
   */
  TakenOver takeOver(String pipeline, String owner, Instant staleBefore, int maxRunAttempts);

  /**
   * What a take-over found.
   *
   * @param resumed the runs to resume, now owned by the caller
   * @param givenUp ids of the runs that became FAILED instead
   */
  record TakenOver(List<Delivery> resumed, List<String> givenUp) {}

  /** Says this Caravan instance is alive (its runs are not taken over). */
  void heartbeat(String owner);

  /**
   * Says this Caravan instance has stopped: the runs it leaves RUNNING (interrupted by the stop)
   * are taken over at once by the next instance that looks, not after the lease timeout.
   */
  void retire(String owner);

  /**
   * Creates a new PENDING run of the event for each pipeline subscribed to it now.
   *
   * @param keepSucceeded whether each new run reuses the steps that succeeded in the latest run of
   *     the same event and pipeline
   * @return the new runs
   */
  List<Delivery> replay(String eventId, boolean keepSucceeded);

  Optional<Event> find(String eventId);

  /** Events, newest first, filtered by whatever is not {@code null}. */
  List<Event> events(String source, String type, String subject, int limit, int offset);
}
