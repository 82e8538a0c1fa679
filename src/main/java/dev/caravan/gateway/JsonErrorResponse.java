package dev.caravan.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.kjob.StepException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Turns the exception of a failed HTTP exchange into {@code {"error": ..., "detail": ...}} with a
 * fitting status: 400 for bad input, 502 for a step that did not succeed, 500 otherwise. Use it in
 * an onException of HTTP-facing routes (plain Camel, no Spring).
 */
public class JsonErrorResponse implements Processor {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public void process(Exchange exchange) throws Exception {
    Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    int status;
    String kind;
    if (error instanceof StepException step) {
      status = 502;
      kind = "step " + step.getStatus().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    } else if (error instanceof IllegalArgumentException) {
      status = 400;
      kind = "bad request";
    } else {
      status = 500;
      kind = "internal error";
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", kind);
    body.put("detail", error == null ? null : error.getMessage());
    exchange.getMessage().removeHeaders("*");
    exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
    exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
    exchange.getMessage().setBody(JSON.writeValueAsString(body));
  }
}
