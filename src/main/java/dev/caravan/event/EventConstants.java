package dev.caravan.event;

import org.apache.camel.spi.Metadata;

/** Headers of the {@code event} component. */
public final class EventConstants {

  @Metadata(
      description =
          "Event id. Producer: optional (a UUID when absent); redeliveries with the same id are"
              + " duplicates. Consumer: the delivered event's id.",
      javaType = "String")
  public static final String EVENT_ID = "CaravanEventId";

  @Metadata(
      description =
          "Event source. Consumer: the delivered event's source. Producer: publishes under this"
              + " source when it lies under the endpoint's own (event:webhook accepts"
              + " webhook/ci), otherwise ignored.",
      javaType = "String")
  public static final String EVENT_SOURCE = "CaravanEventSource";

  @Metadata(description = "Event type; required by the producer.", javaType = "String")
  public static final String EVENT_TYPE = "CaravanEventType";

  @Metadata(description = "Event subject, such as owner/repo.", javaType = "String")
  public static final String EVENT_SUBJECT = "CaravanEventSubject";

  @Metadata(
      description = "Event time (ISO-8601); the producer uses now when absent.",
      javaType = "String")
  public static final String EVENT_TIME = "CaravanEventTime";

  @Metadata(
      description = "Event labels such as ref, commit and clone URL.",
      javaType = "java.util.Map<String, String>")
  public static final String EVENT_LABELS = "CaravanEventLabels";

  @Metadata(
      description = "Producer: whether the event id had been stored before.",
      javaType = "Boolean")
  public static final String EVENT_DUPLICATE = "CaravanEventDuplicate";

  @Metadata(
      description =
          "Producer: the deliveries of the event, one per pipeline it was queued for in its own"
              + " transaction (each delivery's id is the id of the run it starts); for a duplicate,"
              + " the deliveries made of the stored event so far.",
      javaType = "java.util.List<Delivery>")
  public static final String EVENT_DELIVERIES = "CaravanEventDeliveries";

  @Metadata(description = "Consumer: the whole event as CloudEvents JSON.", javaType = "String")
  public static final String EVENT = "CaravanEvent";

  private EventConstants() {}
}
