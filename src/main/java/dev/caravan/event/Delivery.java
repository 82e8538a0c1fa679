package dev.caravan.event;

/**
 * A run waiting to start (or to be resumed): the event for one pipeline.
 *
 * @param reuseFrom a run whose succeeded steps this run reuses (replay with keepSucceeded), or
 *     {@code null}
 */
public record Delivery(String runId, Event event, String pipeline, String reuseFrom) {}
