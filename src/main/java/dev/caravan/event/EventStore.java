package dev.caravan.event;

import java.util.List;
import java.util.Optional;

/** Durable events, the subscriptions of pipelines, and the queue of their deliveries. */
public interface EventStore {

  /**
   * Stores the event, with one delivery for each active subscription it matches, in one
   * transaction.
   *
   * @return {@code false} when an event with that id was stored before (nothing changes)
   */
  default boolean append(Event event) {
    return publish(event).stored();
  }

  /**
   * Stores the event as {@link #append} does, and says which deliveries it queued (the producer
   * puts them in the header {@code CaravanEventDeliveries}).
   */
  Appended publish(Event event);

  /**
   * Registers (or updates) a subscription, active: it receives events appended from now on, and its
   * deliveries are taken.
   */
  void subscribe(Subscription subscription);

  /** Stops a subscription collecting deliveries (its route is gone); what waits stays. */
  void deactivate(String subscriber);

  /** Every subscription, active or not. */
  List<Subscription> subscriptions();

  /** How many deliveries wait for the subscriber. */
  int waitingCount(String subscriber);

  /** The oldest deliveries waiting for the subscriber, at most {@code limit}, left in the queue. */
  List<Delivery> waiting(String subscriber, int limit);

  /**
   * Takes the oldest waiting deliveries of the subscriber off the queue (each is taken once, by one
   * caller, across replicas), telling the handler in the same transaction.
   *
   * @return what the handler says to dispatch
   */
  default List<Delivery> take(String subscriber, int limit) {
    return take(subscriber, limit, ConcurrencyGroups.NONE);
  }

  /**
   * Takes deliveries as {@link #take(String, int)} does, for a subscriber whose runs form
   * concurrency groups: with a limit, takes of the subscriber are serialized across replicas (its
   * subscription is locked first), so that the handler sees its groups as they are.
   */
  List<Delivery> take(String subscriber, int limit, ConcurrencyGroups groups);

  Optional<Event> find(String eventId);

  /** Events, newest first, filtered by whatever is not {@code null}. */
  List<Event> events(String source, String type, String subject, int limit, int offset);

  /** How many events {@link #events} pages through with the same filters. */
  long countEvents(String source, String type, String subject);
}
