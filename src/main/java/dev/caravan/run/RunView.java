package dev.caravan.run;

import java.time.Instant;

/** One run as the API shows it. */
public record RunView(
    String id,
    String eventId,
    String pipeline,
    RunStatus status,
    Instant created,
    Instant started,
    Instant ended,
    String reuseFrom,
    String summary) {}
