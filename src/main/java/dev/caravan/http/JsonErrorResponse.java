package dev.caravan.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.gateway.GatewayException;
import dev.caravan.kjob.StepException;
import dev.caravan.store.StoreException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the exception of a failed HTTP exchange into {@code {"error": ..., "detail": ...}} with a
 * fitting status: a {@link GatewayException}'s own, 400 for bad input, 502 for a step that did not
 * succeed, 503 when the event store is down, 500 otherwise. Use it in an onException of HTTP-facing
 * routes (plain Camel, no Spring).
 */
public class JsonErrorResponse implements Processor {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger LOG = LoggerFactory.getLogger(JsonErrorResponse.class);

  @Override
  public void process(Exchange exchange) throws Exception {
    Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    int status;
    String kind;
    if (error instanceof GatewayException refused) {
      status = refused.getStatus();
      kind = refused.getError();
    } else if (error instanceof StoreException) {
      status = 503;
      kind = "store unavailable";
    } else if (error instanceof StepException step) {
      status = 502;
      kind = "step " + step.getStatus().name().toLowerCase(Locale.ROOT).replace('_', ' ');
    } else if (error instanceof IllegalArgumentException) {
      status = 400;
      kind = "bad request";
    } else {
      status = 500;
      kind = "internal error";
    }
    if (status >= 500) {
      LOG.warn("Request failed with {} (exchange {})", status, exchange.getExchangeId(), error);
    } else {
      LOG.debug("Request refused with {}: {}", status, error == null ? null : error.getMessage());
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", kind);
    // only our own exceptions carry words meant for the caller; others may hold internals
    body.put(
        "detail",
        status >= 500 && status != 502 && !(error instanceof GatewayException)
            ? "see the server log for exchange " + exchange.getExchangeId()
            : error.getMessage());
    exchange.getMessage().removeHeaders("*");
    exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
    exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
    exchange.getMessage().setBody(JSON.writeValueAsString(body));
  }
}
