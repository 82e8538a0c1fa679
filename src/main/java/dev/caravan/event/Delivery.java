package dev.caravan.event;

/** One event waiting for (or handed to) one subscriber. */
public record Delivery(Event event, String subscriber, String runId) {}
