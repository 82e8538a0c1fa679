package dev.caravan.gateway;

import dev.caravan.event.EventConstants;
import dev.caravan.event.EventJson;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * A gateway's answer after {@code to: event:...}: {@code 202 {"id": ...}} for a new event, {@code
 * 200 {"id": ..., "duplicate": true}} for a redelivery.
 */
public class EventAccepted implements Processor {

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    String id = message.getHeader(EventConstants.EVENT_ID, String.class);
    boolean duplicate = message.getHeader(EventConstants.EVENT_DUPLICATE, false, Boolean.class);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("id", id);
    if (duplicate) {
      answer.put("duplicate", true);
    }
    message.removeHeaders("*");
    message.setHeader(Exchange.HTTP_RESPONSE_CODE, duplicate ? 200 : 202);
    message.setHeader(Exchange.CONTENT_TYPE, "application/json");
    message.setBody(EventJson.write(answer));
  }
}
