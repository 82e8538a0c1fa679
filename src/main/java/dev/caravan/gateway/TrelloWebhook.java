package dev.caravan.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.event.CheckedJson;
import dev.caravan.event.EventConstants;
import dev.caravan.event.EventJson;
import dev.caravan.event.InvalidEventException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Checks a Trello webhook delivery and turns it into event headers and body for {@code
 * event:trello}: answers Trello's {@code HEAD} handshake itself (the exchange stops there),
 * verifies {@code X-Trello-Webhook} (base64 HMAC-SHA1 of the raw body followed by the callback URL)
 * in constant time, types the event {@code trello:<action.type>}, takes its id from {@code
 * action.id} and its subject from {@code model.id}.
 */
public class TrelloWebhook implements Processor {

  private String secret;
  private String callbackUrl;
  private int maxBodyBytes = RequestBody.DEFAULT_MAX_BYTES;

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    if ("HEAD".equalsIgnoreCase(message.getHeader(Exchange.HTTP_METHOD, String.class))) {
      // Trello checks the callback URL with a HEAD when the webhook is created: answer 200 only
      // when deliveries can be verified, so a webhook is never registered against a gateway that
      // would refuse all of them
      requireConfigured();
      message.removeHeaders("*");
      message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
      message.setBody(null);
      exchange.setRouteStop(true);
      return;
    }
    byte[] body = RequestBody.read(message, maxBodyBytes);
    String mediaType = RequestBody.mediaType(message);
    if (!"application/json".equals(mediaType)) {
      throw new GatewayException(
          415, "unsupported media type", "send application/json, not '" + mediaType + "'");
    }
    requireConfigured();
    verifySignature(message.getHeader("X-Trello-Webhook", String.class), body);
    String json = RequestBody.utf8(body);
    CheckedJson data = CheckedJson.parse(json);
    JsonNode payload = data.tree();
    if (!payload.isObject()) {
      throw new InvalidEventException("a Trello delivery must be a JSON object");
    }
    String actionType = required(payload, "action", "type");
    String actionId = required(payload, "action", "id");

    message.removeHeaders("*");
    message.setHeader(EventConstants.EVENT_ID, actionId);
    message.setHeader(EventConstants.EVENT_TYPE, "trello:" + actionType);
    message.setHeader(EventConstants.EVENT_SUBJECT, EventJson.text(payload, "model", "id"));
    String date = EventJson.text(payload, "action", "date");
    if (date != null && isTime(date)) {
      message.setHeader(EventConstants.EVENT_TIME, date);
    }
    message.setHeader(EventConstants.EVENT_LABELS, labels(payload));
    // the JSON as Trello sent (and signed) it
    message.setBody(data);
  }

  /** Where it happened: board, list(s) and card, by id and name, and who did it. */
  static Map<String, String> labels(JsonNode payload) {
    Map<String, String> labels = new LinkedHashMap<>();
    putIfPresent(labels, "boardId", EventJson.text(payload, "action", "data", "board", "id"));
    putIfPresent(labels, "boardName", EventJson.text(payload, "action", "data", "board", "name"));
    putIfPresent(labels, "listName", EventJson.text(payload, "action", "data", "list", "name"));
    putIfPresent(
        labels, "listBefore", EventJson.text(payload, "action", "data", "listBefore", "name"));
    putIfPresent(
        labels, "listAfter", EventJson.text(payload, "action", "data", "listAfter", "name"));
    putIfPresent(labels, "cardId", EventJson.text(payload, "action", "data", "card", "id"));
    putIfPresent(labels, "cardName", EventJson.text(payload, "action", "data", "card", "name"));
    putIfPresent(labels, "member", EventJson.text(payload, "action", "memberCreator", "username"));
    return labels;
  }

  private void requireConfigured() {
    if (secret == null || secret.isBlank()) {
      throw GatewayException.notConfigured("caravan.trello.secret");
    }
    if (callbackUrl == null || callbackUrl.isBlank()) {
      throw GatewayException.notConfigured("caravan.trello.callback-url");
    }
  }

  private void verifySignature(String header, byte[] body) {
    if (header == null || header.isBlank()) {
      throw GatewayException.unauthorized("missing X-Trello-Webhook");
    }
    String expected =
        Base64.getEncoder()
            .encodeToString(
                Signatures.hmac(
                    "HmacSHA1", secret, body, callbackUrl.getBytes(StandardCharsets.UTF_8)));
    if (!Signatures.constantTimeEquals(expected, header.trim())) {
      throw GatewayException.unauthorized(
          "X-Trello-Webhook does not match the body and the configured callback URL");
    }
  }

  private static boolean isTime(String text) {
    try {
      EventJson.time(text);
      return true;
    } catch (InvalidEventException e) {
      return false;
    }
  }

  private static String required(JsonNode payload, String... path) {
    String value = EventJson.text(payload, path);
    if (value == null || value.isBlank()) {
      throw GatewayException.badRequest("the delivery has no " + String.join(".", path));
    }
    return value;
  }

  private static void putIfPresent(Map<String, String> labels, String key, String value) {
    if (value != null) {
      labels.put(key, value);
    }
  }

  /** The application secret of the Trello Power-Up / API key (never logged). */
  public void setSecret(String secret) {
    this.secret = secret;
  }

  /** The callback URL exactly as registered with Trello; the signature covers it. */
  public void setCallbackUrl(String callbackUrl) {
    this.callbackUrl = callbackUrl;
  }

  public String getCallbackUrl() {
    return callbackUrl;
  }

  /** Largest accepted body. */
  public void setMaxBodyBytes(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  public int getMaxBodyBytes() {
    return maxBodyBytes;
  }

  @Override
  public String toString() {
    return "TrelloWebhook[secret " + (secret == null || secret.isBlank() ? "unset" : "set") + "]";
  }
}
