package dev.caravan.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.event.CheckedJson;
import dev.caravan.event.EventConstants;
import dev.caravan.event.EventJson;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Checks a GitHub webhook delivery and turns it into event headers and body for {@code
 * event:github}: verifies {@code X-Hub-Signature-256} over the raw body in constant time, accepts
 * JSON and form-encoded ({@code payload=}) deliveries, types the event {@code
 * <X-GitHub-Event>[:<action>]}, and answers {@code ping} itself (the exchange stops there).
 */
public class GitHubWebhook implements Processor {

  private String secret;
  private int maxBodyBytes = RequestBody.DEFAULT_MAX_BYTES;

  @Override
  public void process(Exchange exchange) {
    Message message = exchange.getMessage();
    byte[] body = RequestBody.read(message, maxBodyBytes);
    String mediaType = RequestBody.mediaType(message);
    boolean form = "application/x-www-form-urlencoded".equals(mediaType);
    if (!form && !"application/json".equals(mediaType)) {
      throw new GatewayException(
          415,
          "unsupported media type",
          "send application/json or application/x-www-form-urlencoded, not '" + mediaType + "'");
    }
    if (secret == null || secret.isBlank()) {
      throw GatewayException.notConfigured("caravan.github.webhook-secret");
    }
    verifySignature(message.getHeader("X-Hub-Signature-256", String.class), body);
    String githubEvent = required(message, "X-GitHub-Event");
    String delivery = required(message, "X-GitHub-Delivery");
    String json = form ? formPayload(body) : RequestBody.utf8(body);
    CheckedJson data = CheckedJson.parse(json);
    JsonNode payload = data.tree();

    message.removeHeaders("*");
    if ("ping".equals(githubEvent)) {
      message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
      message.setHeader(Exchange.CONTENT_TYPE, "application/json");
      message.setBody("{\"ping\":\"pong\"}");
      exchange.setRouteStop(true);
      return;
    }
    message.setHeader(EventConstants.EVENT_ID, delivery);
    message.setHeader(EventConstants.EVENT_TYPE, type(githubEvent, payload));
    message.setHeader(
        EventConstants.EVENT_SUBJECT, EventJson.text(payload, "repository", "full_name"));
    message.setHeader(EventConstants.EVENT_LABELS, labels(githubEvent, payload));
    // the JSON as GitHub sent (and signed) it
    message.setBody(data);
  }

  /** {@code pull_request:opened}; events without an action keep their plain name ({@code push}). */
  static String type(String githubEvent, JsonNode payload) {
    JsonNode action = payload.get("action");
    return action != null && action.isTextual() ? githubEvent + ":" + action.asText() : githubEvent;
  }

  /**
   * Where the code is: ref, commit and clone URL, from push, pull request, tag, check suite and
   * check run payloads; the GitHub App installation that sent it; a check run's id and external id.
   */
  static Map<String, String> labels(String githubEvent, JsonNode payload) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("githubEvent", githubEvent);
    putIfPresent(labels, "ref", EventJson.text(payload, "pull_request", "head", "ref"));
    putIfPresent(labels, "ref", EventJson.text(payload, "ref"));
    putIfPresent(labels, "ref", EventJson.text(payload, "check_suite", "head_branch"));
    putIfPresent(labels, "ref", EventJson.text(payload, "check_run", "check_suite", "head_branch"));
    putIfPresent(labels, "commit", EventJson.text(payload, "pull_request", "head", "sha"));
    putIfPresent(labels, "commit", EventJson.text(payload, "after"));
    putIfPresent(labels, "commit", EventJson.text(payload, "check_suite", "head_sha"));
    putIfPresent(labels, "commit", EventJson.text(payload, "check_run", "head_sha"));
    putIfPresent(labels, "cloneUrl", EventJson.text(payload, "repository", "clone_url"));
    putIfPresent(labels, "sender", EventJson.text(payload, "sender", "login"));
    putIfPresent(labels, "installation", EventJson.text(payload, "installation", "id"));
    putIfPresent(labels, "checkRunId", EventJson.text(payload, "check_run", "id"));
    putIfPresent(labels, "checkRunExternalId", EventJson.text(payload, "check_run", "external_id"));
    return labels;
  }

  private void verifySignature(String header, byte[] body) {
    if (header == null || !header.startsWith("sha256=")) {
      throw GatewayException.unauthorized("missing X-Hub-Signature-256 (sha256=...)");
    }
    String expected =
        "sha256=" + HexFormat.of().formatHex(Signatures.hmac("HmacSHA256", secret, body));
    if (!Signatures.constantTimeEquals(expected, header.trim().toLowerCase(Locale.ROOT))) {
      throw GatewayException.unauthorized("X-Hub-Signature-256 does not match the body");
    }
  }

  private static String formPayload(byte[] body) {
    for (String field : RequestBody.utf8(body).split("&")) {
      if (field.startsWith("payload=")) {
        try {
          return URLDecoder.decode(field.substring("payload=".length()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw GatewayException.badRequest("the payload field is not URL-encoded correctly");
        }
      }
    }
    throw GatewayException.badRequest("a form-encoded delivery needs a payload field");
  }

  private static String required(Message message, String header) {
    String value = RequestHeaders.text(message, header);
    if (value == null) {
      throw GatewayException.badRequest("missing header " + header);
    }
    return value;
  }

  private static void putIfPresent(Map<String, String> labels, String key, String value) {
    if (value != null && !labels.containsKey(key)) {
      labels.put(key, value);
    }
  }

  /** The webhook secret configured in GitHub (never logged). */
  public void setSecret(String secret) {
    this.secret = secret;
  }

  /** Largest accepted body; GitHub caps payloads at 25 MiB. */
  public void setMaxBodyBytes(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  public int getMaxBodyBytes() {
    return maxBodyBytes;
  }

  @Override
  public String toString() {
    return "GitHubWebhook[secret " + (secret == null ? "unset" : "set") + "]";
  }
}
