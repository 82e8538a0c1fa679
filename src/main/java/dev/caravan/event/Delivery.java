package dev.caravan.event;

/**
 * One event for one subscriber, taken off the queue (or handed back to be resumed).
 *
 * @param id the delivery's id: the id of the run it starts
 * @param subscriber the subscribing route's id
 */
public record Delivery(String id, Event event, String subscriber) {}
