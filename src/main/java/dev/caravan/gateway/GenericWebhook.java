package dev.caravan.gateway;

import dev.caravan.event.Event;
import dev.caravan.event.EventConstants;
import dev.caravan.event.EventJson;
import dev.caravan.event.InvalidEventException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Checks a delivery to {@code POST /events/webhook/<name>} and turns it into event headers and body
 * for {@code event:webhook}, with the source {@code webhook/<name>} in {@code CaravanEventSource}.
 * The caller proves itself with {@code Authorization: Bearer <token>}, the token being the property
 * {@code caravan.webhook.tokens.<name>} (resolved per request through Camel's properties, so an
 * environment variable such as {@code CARAVAN_WEBHOOK_TOKENS_CI} works), else the file {@code
 * <name>} of the directory {@code caravan.webhook.token-dir}, read again when it changes (see
 * {@link WebhookTokens}). Under Spring Boot the property lookup goes through Spring's Environment
 * with its relaxed binding, where '-' is not significant: {@code
 * caravan.webhook.tokens.deploy-prod} and {@code ...deployprod} are one setting. Accepts plain JSON
 * ({@code X-Event-Type}, {@code X-Event-Id}, {@code X-Event-Subject}) and CloudEvents 1.0 in
 * structured ({@code application/cloudevents+json}) and binary ({@code ce-*} headers) mode.
 */
public class GenericWebhook implements Processor {

  /** Names of webhooks: what may appear in an event source and a property key. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  /** Prefix of the token properties; the webhook's name follows it. */
  public static final String TOKEN_PROPERTY = WebhookTokens.TOKEN_PROPERTY;

  private static final String BEARER = "Bearer ";

  private final WebhookTokens tokens = new WebhookTokens();
  private String nameHeader = "name";
  private int maxBodyBytes = RequestBody.DEFAULT_MAX_BYTES;

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    String name = message.getHeader(nameHeader, String.class);
    if (name == null || !NAME.matcher(name).matches()) {
      throw GatewayException.badRequest(
          "a webhook name is 1 to 63 lower-case letters, digits and '-', starting with a letter"
              + " or digit");
    }
    String token =
        tokens
            .token(exchange.getContext().getPropertiesComponent(), name)
            .orElseThrow(
                () -> new GatewayException(404, "not found", WebhookTokens.howToConfigure(name)));
    verifyToken(message.getHeader("Authorization", String.class), token);

    byte[] body = RequestBody.read(message, maxBodyBytes);
    String mediaType = RequestBody.mediaType(message);
    String source = "webhook/" + name;
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("webhook", name);
    Event event;
    if ("application/cloudevents+json".equals(mediaType)) {
      event = EventJson.fromCloudEvent(RequestBody.utf8(body), source, labels);
    } else if (!"application/json".equals(mediaType)) {
      throw new GatewayException(
          415,
          "unsupported media type",
          "send application/json (plain or CloudEvents binary mode) or"
              + " application/cloudevents+json, not '"
              + mediaType
              + "'");
    } else if (message.getHeader("ce-specversion") != null) {
      event = binaryCloudEvent(message, source, labels, body);
    } else {
      event =
          new Event(
              header(message, "X-Event-Id"),
              source,
              Optional.ofNullable(header(message, "X-Event-Type")).orElse("webhook"),
              header(message, "X-Event-Subject"),
              EventJson.time(null),
              labels,
              EventJson.validated(RequestBody.utf8(body)));
    }

    message.removeHeaders("*");
    message.setHeader(EventConstants.EVENT_SOURCE, source);
    message.setHeader(EventConstants.EVENT_ID, event.id());
    message.setHeader(EventConstants.EVENT_TYPE, event.type());
    message.setHeader(EventConstants.EVENT_SUBJECT, event.subject());
    message.setHeader(EventConstants.EVENT_TIME, event.time().toString());
    message.setHeader(EventConstants.EVENT_LABELS, event.labels());
    message.setBody(event.data());
  }

  private static void verifyToken(String authorization, String token) {
    if (authorization == null
        || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw GatewayException.unauthorized("missing Authorization: Bearer <token>");
    }
    String given = authorization.substring(BEARER.length()).trim();
    if (!Signatures.constantTimeEquals(token.trim(), given)) {
      throw GatewayException.unauthorized("the bearer token is not the one of this webhook");
    }
  }

  /** CloudEvents binary mode: attributes in {@code ce-*} headers, the body is the data. */
  private static Event binaryCloudEvent(
      Message message, String source, Map<String, String> labels, byte[] body) {
    if (!"1.0".equals(header(message, "ce-specversion"))) {
      throw new InvalidEventException("unsupported CloudEvents specversion, expected 1.0");
    }
    String id = header(message, "ce-id");
    String type = header(message, "ce-type");
    if (id == null) {
      throw new InvalidEventException("the CloudEvent has no id (header ce-id)");
    }
    if (type == null) {
      throw new InvalidEventException("the CloudEvent has no type (header ce-type)");
    }
    Map<String, String> allLabels = new LinkedHashMap<>(labels);
    String ceSource = header(message, "ce-source");
    if (ceSource != null) {
      allLabels.put("cesource", ceSource);
    }
    return new Event(
        id,
        source,
        type,
        header(message, "ce-subject"),
        EventJson.time(header(message, "ce-time")),
        allLabels,
        EventJson.validated(RequestBody.utf8(body)));
  }

  private static String header(Message message, String name) {
    return RequestHeaders.text(message, name);
  }

  /** The header that holds the name: the platform-http path parameter ({@code {name}}). */
  public void setNameHeader(String nameHeader) {
    this.nameHeader = nameHeader;
  }

  public String getNameHeader() {
    return nameHeader;
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
    return "GenericWebhook[tokens from "
        + TOKEN_PROPERTY
        + "<name> or "
        + WebhookTokens.DIR_PROPERTY
        + "/<name>]";
  }
}
