package dev.caravan.gateway;

import dev.caravan.event.EventConstants;
import dev.caravan.event.EventJson;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Turns one firing of a Quartz schedule into the headers and body of a cron event: type {@code
 * cron:<name>}, subject {@code <name>}, time and id from the <em>scheduled</em> fire time ({@code
 * cron:<name>:<time>}), so that replicas firing the same tick publish the same id and the store
 * keeps one event. Reads the schedule's name and expression from the headers {@code
 * CaravanCronName} and {@code CaravanCronSchedule} (set by the {@code cron-gateway} template).
 */
public class CronTick implements Processor {

  public static final String NAME = "CaravanCronName";
  public static final String SCHEDULE = "CaravanCronSchedule";

  /** What a schedule may be called: it becomes part of the event type, route id and Quartz key. */
  public static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    String name = message.getHeader(NAME, String.class);
    if (name == null || !VALID_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a cron schedule name must match " + VALID_NAME.pattern() + ", got '" + name + "'");
    }
    String schedule = message.getHeader(SCHEDULE, String.class);
    Instant fired = instant(message.getHeader("fireTime"));
    Instant scheduled = instant(message.getHeader("scheduledFireTime"));
    if (fired == null) {
      fired = Instant.now();
    }
    if (scheduled == null) {
      // not fired by Quartz (a test or another timer): the second it fired stands for the tick
      scheduled = fired.truncatedTo(ChronoUnit.SECONDS);
    }

    Map<String, Object> data = new LinkedHashMap<>();
    data.put("name", name);
    data.put("schedule", schedule);
    data.put("scheduledFireTime", scheduled.toString());
    data.put("fireTime", fired.toString());
    Map<String, String> labels = new LinkedHashMap<>();
    if (schedule != null) {
      labels.put("schedule", schedule);
    }

    message.removeHeaders("*");
    message.setHeader(EventConstants.EVENT_ID, "cron:" + name + ":" + scheduled);
    message.setHeader(EventConstants.EVENT_TYPE, "cron:" + name);
    message.setHeader(EventConstants.EVENT_SUBJECT, name);
    message.setHeader(EventConstants.EVENT_TIME, scheduled.toString());
    message.setHeader(EventConstants.EVENT_LABELS, labels);
    message.setBody(EventJson.write(data));
  }

  private static Instant instant(Object value) {
    if (value instanceof Date date) {
      return date.toInstant();
    }
    if (value instanceof Instant instant) {
      return instant;
    }
    return null;
  }
}
