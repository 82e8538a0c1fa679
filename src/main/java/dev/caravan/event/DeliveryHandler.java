package dev.caravan.event;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.apache.camel.Exchange;

/**
 * What the layer above the event bus does with deliveries (Caravan's run layer makes each a run):
 * the event component uses the single DeliveryHandler in the registry, or {@link #NONE}, with which
 * the bus delivers each event once and records nothing else. Methods that get a {@link Connection}
 * run inside the bus's own transaction, so that what the handler writes commits or rolls back with
 * the queue.
 */
public interface DeliveryHandler {

  /** Deliveries were queued: an event was appended, or one was queued again. */
  default void enqueued(Connection connection, List<Delivery> deliveries) throws SQLException {}

  /**
   * An event stored before was appended again (a duplicate): the deliveries already made of it, to
   * name in the duplicate's answer (Caravan's run layer: the event's runs, oldest first), read in
   * the bus's transaction.
   *
   * @param event the event as appended again (its id is the stored one's)
   */
  default List<Delivery> delivered(Connection connection, Event event) throws SQLException {
    return List.of();
  }

  /**
   * Deliveries were taken off the queue by this Caravan.
   *
   * @return those to dispatch now (a handler may drop one that should not run any more)
   */
  default List<Delivery> taken(Connection connection, List<Delivery> deliveries)
      throws SQLException {
    return deliveries;
  }

  /**
   * Deliveries of a subscriber whose runs form concurrency groups were taken off the queue by this
   * Caravan, with its subscription locked (see {@link EventStore#take(String, int,
   * ConcurrencyGroups)}).
   *
   * @return those to dispatch now
   */
  default List<Delivery> taken(
      Connection connection, List<Delivery> deliveries, ConcurrencyGroups groups)
      throws SQLException {
    return taken(connection, deliveries);
  }

  /**
   * Deliveries to dispatch that are not in the queue (runs left by a Caravan that stopped), asked
   * for at most once per poll interval.
   */
  default List<Delivery> resumable(Subscription subscription, int limit) {
    return List.of();
  }

  /**
   * Deliveries to dispatch that are not in the queue, for a subscriber with concurrency groups (the
   * handler may also hand back runs that wait in a group with room), asked for at most once per
   * poll interval.
   */
  default List<Delivery> resumable(Subscription subscription, int limit, ConcurrencyGroups groups) {
    return resumable(subscription, limit);
  }

  /**
   * A delivery taken or resumed was not started, because its consumer stopped first: the handler
   * makes it resumable at once, not after a lease runs out.
   */
  default void abandoned(Delivery delivery) {}

  /** The exchange of a delivery, with the event's headers, is about to enter its route. */
  default void starting(Delivery delivery, Exchange exchange) {}

  /** The route is done with the exchange of a delivery. */
  default void ended(Delivery delivery, Exchange exchange) {}

  /** The event component started (its store is open). */
  default void started(EventComponent component) {}

  /** The event component is stopping; its store is still open. */
  default void stopping() {}

  /** Delivers each event once to each subscriber, and records nothing. */
  DeliveryHandler NONE = new DeliveryHandler() {};
}
