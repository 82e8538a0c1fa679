package dev.caravan.event;

import io.micrometer.core.instrument.Metrics;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;

/**
 * Stores the exchange as an event, de-duplicated by id, before returning; then wakes the
 * subscribers, which run asynchronously.
 */
public class EventProducer extends DefaultProducer {

  private static final int MAX_ID_LENGTH = 255;

  private final EventEndpoint endpoint;

  public EventProducer(EventEndpoint endpoint) {
    super(endpoint);
    this.endpoint = endpoint;
  }

  @Override
  public void process(Exchange exchange) {
    Event event = toEvent(exchange.getMessage(), source(exchange.getMessage()));
    Appended appended = endpoint.getComponent().getStore().publish(event);
    boolean stored = appended.stored();
    exchange.getMessage().setHeader(EventConstants.EVENT_ID, event.id());
    exchange.getMessage().setHeader(EventConstants.EVENT_DUPLICATE, !stored);
    exchange.getMessage().setHeader(EventConstants.EVENT_DELIVERIES, appended.deliveries());
    if (stored) {
      Metrics.counter("caravan.events.received", "source", event.source(), "type", event.type())
          .increment();
      endpoint.getComponent().wakeSubscribers(event);
    }
  }

  /**
   * The endpoint's source, or the {@code CaravanEventSource} header when it names a source under
   * the endpoint's own ({@code event:webhook} publishes {@code webhook/ci}); other values of the
   * header are ignored, as deliveries carry their own source in it.
   */
  private String source(Message message) {
    String own = endpoint.getSource();
    String header = message.getHeader(EventConstants.EVENT_SOURCE, String.class);
    if (header == null || !header.startsWith(own + "/")) {
      return own;
    }
    if (header.length() == own.length() + 1 || !EventEndpoint.isSource(header)) {
      throw new InvalidEventException(
          "the event source (header CaravanEventSource) must be "
              + own
              + "/ followed by letters, digits, . _ / -");
    }
    return header;
  }

  static Event toEvent(Message message, String source) {
    Map<String, String> labels = new LinkedHashMap<>();
    Map<?, ?> labelHeader = message.getHeader(EventConstants.EVENT_LABELS, Map.class);
    if (labelHeader != null) {
      labelHeader.forEach(
          (key, value) -> {
            if (value != null) {
              labels.put(String.valueOf(key), String.valueOf(value));
            }
          });
    }
    return newEvent(
        message.getHeader(EventConstants.EVENT_ID, String.class),
        source,
        message.getHeader(EventConstants.EVENT_TYPE, String.class),
        message.getHeader(EventConstants.EVENT_SUBJECT, String.class),
        message.getHeader(EventConstants.EVENT_TIME, String.class),
        labels,
        message.getBody());
  }

  /**
   * An event checked as the producer checks what it publishes.
   *
   * @param id {@code null} or blank for a new UUID
   * @param time ISO-8601, or {@code null} for now
   * @param body JSON text (String or UTF-8 bytes, stored as it came once checked), or an object
   *     written as JSON
   * @throws InvalidEventException naming what is wrong
   */
  public static Event newEvent(
      String id,
      String source,
      String type,
      String subject,
      String time,
      Map<String, String> labels,
      Object body) {
    if (id == null || id.isBlank()) {
      id = UUID.randomUUID().toString();
    }
    requirePrintable("id", id, MAX_ID_LENGTH);
    if (type == null || type.isBlank()) {
      throw new InvalidEventException("the event has no type (header CaravanEventType)");
    }
    requirePrintable("type", type, 255);
    if (subject != null) {
      requirePrintable("subject", subject, 1024);
    }
    return new Event(
        id,
        source,
        type,
        subject,
        // databases keep microseconds: store what find() will give back
        EventJson.time(time).truncatedTo(ChronoUnit.MICROS),
        labels,
        data(body));
  }

  /**
   * JSON text is stored as it came (what a signature covered), once checked (a {@link CheckedJson}
   * was checked when it was made); objects as JSON.
   */
  private static String data(Object body) {
    if (body == null) {
      return null;
    }
    if (body instanceof CheckedJson checked) {
      return checked.text();
    }
    String json;
    if (body instanceof byte[] bytes) {
      json = utf8(bytes);
    } else if (body instanceof String text) {
      json = text;
    } else {
      return EventJson.write(body);
    }
    if (json.isBlank()) {
      return null;
    }
    return EventJson.validated(json);
  }

  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidEventException("the event data is not valid UTF-8");
    }
  }

  private static void requirePrintable(String attribute, String value, int maxLength) {
    if (value.length() > maxLength) {
      throw new InvalidEventException(
          "the event " + attribute + " is longer than " + maxLength + " characters");
    }
    if (value.chars().anyMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f))) {
      throw new InvalidEventException("the event " + attribute + " holds control characters");
    }
  }
}
