package dev.caravan.event;

import java.util.List;

/**
 * What {@link EventStore#publish} did with an event.
 *
 * @param stored {@code false} when an event with that id was stored before (nothing changed)
 * @param deliveries for a new event, the deliveries queued for it in its own transaction, one per
 *     matching pipeline; for a duplicate, those the {@link DeliveryHandler} knows were made of the
 *     stored event (none without a handler)
 */
public record Appended(boolean stored, List<Delivery> deliveries) {

  public Appended {
    deliveries = List.copyOf(deliveries);
  }
}
