package dev.caravan.kjob;

import java.util.Map;

/** Step events for tests that run kjob without the event component. */
public final class StepEvents {

  private StepEvents() {}

  /** An event that carries only labels (what checkout=true reads), no attributes and no JSON. */
  public static StepEvent labels(Map<String, String> labels) {
    return new StepEvent(null, null, null, null, null, labels, null);
  }
}
