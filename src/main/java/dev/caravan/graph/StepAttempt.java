package dev.caravan.graph;

import dev.caravan.kjob.StepRecord;

/** One recorded attempt of one step of a run: its name, fan-out index (text) and record. */
public record StepAttempt(String name, String fanOutIndex, StepRecord record) {}
