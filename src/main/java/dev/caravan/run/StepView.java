package dev.caravan.run;

import dev.caravan.kjob.StepRecord;

/** One attempt of one step of a run. */
public record StepView(String name, String fanOutIndex, StepRecord record) {}
