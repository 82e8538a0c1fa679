package dev.caravan.event;

import java.util.List;
import java.util.Optional;

/** Durable events and their deliveries to subscribers. */
public interface EventStore {

  /**
   * Stores the event, with one pending delivery for each subscription it matches, in one
   * transaction.
   *
   * @return {@code false} when an event with that id was stored before (nothing changes)
   */
  boolean append(Event event);

  /** Registers (or updates) a subscription; it receives events appended from now on. */
  void subscribe(Subscription subscription);

  List<Subscription> subscriptions();

  /** The oldest deliveries still pending for the subscriber, at most {@code limit}. */
  List<Delivery> pending(String subscriber, int limit);

  /**
   * Marks a pending delivery as handed over, under a new run id.
   *
   * @return {@code false} when someone else claimed it first
   */
  boolean claim(String eventId, String subscriber, String runId);

  Optional<Event> find(String eventId);
}
