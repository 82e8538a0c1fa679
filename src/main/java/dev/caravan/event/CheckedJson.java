package dev.caravan.event;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Event data checked once: the JSON text as it was received (and signed), with the tree parsing it
 * gave. A gateway reads its labels from the tree and publishes this as the body; the producer then
 * stores the text without parsing it a second time. Made only by {@link #parse}, so the producer
 * may trust it.
 */
public final class CheckedJson {

  private final String text;
  private final JsonNode tree;

  private CheckedJson(String text, JsonNode tree) {
    this.text = text;
    this.tree = tree;
  }

  /**
   * Parses JSON text as the producer checks event data.
   *
   * @throws InvalidEventException when it is malformed or too deeply nested
   */
  public static CheckedJson parse(String json) {
    return new CheckedJson(json, EventJson.parse(json));
  }

  /** The text as received. */
  public String text() {
    return text;
  }

  /** The parsed tree; read it, do not change it. */
  public JsonNode tree() {
    return tree;
  }

  @Override
  public String toString() {
    return text;
  }
}
