package dev.caravan.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads and writes events as CloudEvents 1.0 JSON (structured mode). */
public final class EventJson {

  /** Deeper JSON than this is refused: a payload nested 10,000 deep must not blow the stack. */
  public static final int MAX_NESTING = 200;

  static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    MAPPER
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build());
    // "{...} garbage" is malformed, not the object before the garbage
    MAPPER.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    // numbers as sent: 1e999999999 is not Infinity, 1.10 keeps its zero
    MAPPER.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    MAPPER.setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
  }

  private EventJson() {}

  /** Parses JSON text, refusing malformed or too deeply nested input. */
  public static JsonNode parse(String json) {
    try {
      JsonNode node = MAPPER.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new InvalidEventException("the body is empty, expected JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("malformed JSON: " + e.getOriginalMessage());
    }
  }

  /**
   * The JSON text itself, once checked as {@link #parse} checks it: event data is kept as it was
   * received (and signed), never re-written from a parsed tree.
   */
  public static String validated(String json) {
    parse(json);
    return json;
  }

  /**
   * Parses JSON into plain Java maps, lists and values (what Simple's body[...] navigates); numbers
   * with a fraction or an exponent become {@link java.math.BigDecimal}s.
   */
  public static Object toJava(String json) {
    return json == null ? null : MAPPER.convertValue(parse(json), Object.class);
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The event in CloudEvents structured mode; labels travel as the extension {@code labels}. */
  public static String toCloudEvent(Event event) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("specversion", "1.0");
    node.put("id", event.id());
    node.put("source", event.source());
    node.put("type", event.type());
    if (event.subject() != null) {
      node.put("subject", event.subject());
    }
    node.put("time", event.time().toString());
    if (event.data() != null) {
      node.put("datacontenttype", "application/json");
      // the stored text (checked when it was stored), not a re-parsed copy
      node.putRawValue("data", new RawValue(event.data()));
    }
    if (!event.labels().isEmpty()) {
      node.set("labels", MAPPER.valueToTree(event.labels()));
    }
    return node.toString();
  }

  /** Reads a structured-mode CloudEvent; its source becomes the label {@code cesource}. */
  public static Event fromCloudEvent(String json, String source, Map<String, String> labels) {
    JsonNode node = parse(json);
    if (!node.isObject()) {
      throw new InvalidEventException("a CloudEvent must be a JSON object");
    }
    if (!"1.0".equals(text(node, "specversion"))) {
      throw new InvalidEventException("unsupported CloudEvents specversion, expected 1.0");
    }
    Map<String, String> allLabels = new LinkedHashMap<>(labels);
    if (text(node, "source") != null) {
      allLabels.put("cesource", text(node, "source"));
    }
    JsonNode data = node.get("data");
    return new Event(
        required(node, "id"),
        source,
        required(node, "type"),
        text(node, "subject"),
        time(text(node, "time")),
        allLabels,
        data == null || data.isNull() ? null : memberText(json, "data"));
  }

  /**
   * The text of a member of a JSON object exactly as written (the last one, when the name repeats,
   * as the parsed tree keeps it); the object must have been checked with {@link #parse}.
   */
  static String memberText(String object, String member) {
    try (JsonParser parser = MAPPER.createParser(object)) {
      parser.nextToken();
      String found = null;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        int start = (int) parser.currentTokenLocation().getCharOffset();
        parser.skipChildren();
        parser.finishToken();
        int end = (int) parser.currentLocation().getCharOffset();
        if (name.equals(member)) {
          found = object.substring(start, end);
        }
      }
      return found;
    } catch (IOException e) {
      throw new InvalidEventException("malformed JSON: " + e.getMessage());
    }
  }

  /** Parses an RFC 3339 time, or now when absent. */
  public static Instant time(String text) {
    if (text == null || text.isBlank()) {
      return Instant.now();
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidEventException("invalid time " + text + ", expected RFC 3339");
    }
  }

  private static String required(JsonNode node, String field) {
    String value = text(node, field);
    if (value == null || value.isBlank()) {
      throw new InvalidEventException("the CloudEvent has no " + field);
    }
    return value;
  }

  /**
   * The text at a path of fields ({@code text(payload, "repository", "full_name")}), or {@code
   * null} when a field is missing, JSON null, or not a plain value.
   */
  public static String text(JsonNode node, String... path) {
    JsonNode current = node;
    for (String field : path) {
      current = current == null ? null : current.get(field);
    }
    return current == null || current.isNull() || !current.isValueNode() ? null : current.asText();
  }
}
