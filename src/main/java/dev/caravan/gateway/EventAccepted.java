package dev.caravan.gateway;

import dev.caravan.event.Delivery;
import dev.caravan.event.EventConstants;
import dev.caravan.event.EventJson;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * A gateway's answer after {@code to: event:...}: {@code 202 {"id": ..., "runs": [{"id",
 * "pipeline"}]}} for a new event (the runs queued for it with it), {@code 200 {"id": ...,
 * "duplicate": true, "runs": [...]}} for a redelivery (the runs the stored event has had); both
 * with {@code Location: /api/events/<id>}.
 */
public class EventAccepted implements Processor {

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    String id = message.getHeader(EventConstants.EVENT_ID, String.class);
    boolean duplicate = message.getHeader(EventConstants.EVENT_DUPLICATE, false, Boolean.class);
    List<?> deliveries = message.getHeader(EventConstants.EVENT_DELIVERIES, List.of(), List.class);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("id", id);
    if (duplicate) {
      answer.put("duplicate", true);
    }
    answer.put("runs", runs(deliveries));
    message.removeHeaders("*");
    message.setHeader(Exchange.HTTP_RESPONSE_CODE, duplicate ? 200 : 202);
    message.setHeader(Exchange.CONTENT_TYPE, "application/json");
    message.setHeader("Location", location(id));
    message.setBody(EventJson.write(answer));
  }

  /** Each delivery starts the run of the same id. */
  private static List<Map<String, String>> runs(List<?> deliveries) {
    return deliveries.stream()
        .filter(Delivery.class::isInstance)
        .map(Delivery.class::cast)
        .map(
            delivery -> {
              Map<String, String> run = new LinkedHashMap<>();
              run.put("id", delivery.id());
              run.put("pipeline", delivery.subscriber());
              return run;
            })
        .toList();
  }

  /** The event's path in the API, its id one encoded path segment. */
  static String location(String id) {
    return "/api/events/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
