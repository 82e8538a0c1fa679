package dev.caravan.gateway;

import static dev.caravan.gateway.GatewayResponses.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caravan.app.CaravanApplication;
import dev.caravan.event.Event;
import dev.caravan.event.EventComponent;
import dev.caravan.event.EventStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

@SpringBootTest(
    classes = CaravanApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "caravan.trello.secret=" + TrelloGatewayIT.SECRET,
      "caravan.trello.callback-url=" + TrelloGatewayIT.CALLBACK_URL,
      "spring.datasource.url=jdbc:h2:mem:trello-gateway-it;DB_CLOSE_DELAY=-1",
      "camel.component.kjob.executor=local"
    })
class TrelloGatewayIT {

  static final String SECRET = "trello-app-secret-3f9a";
  static final String CALLBACK_URL = "https://caravan.example.com/events/trello?board=main";

  @LocalServerPort int port;
  @Autowired CamelContext camel;

  private final HttpClient http = HttpClient.newHttpClient();

  /** A delivery shaped like Trello's for a card moved between lists (action updateCard). */
  static String cardMoved(String actionId) {
    return """
        {"model":{"id":"5e8f1b2c3d4e5f6a7b8c9d0e","name":"Caravan board","desc":"",\
        "closed":false,"idOrganization":null,"pinned":false,\
        "url":"https://trello.com/b/AbCdEfGh/caravan-board",\
        "prefs":{"permissionLevel":"private","background":"blue"}},\
        "action":{"id":"%s","idMemberCreator":"5a1b2c3d4e5f6a7b8c9d0e1f",\
        "data":{"card":{"idList":"5e8f1b2c3d4e5f6a7b8c9d11","id":"5e8f1b2c3d4e5f6a7b8c9d99",\
        "name":"Ship the Trello gateway","idShort":42,"shortLink":"XyZ12345"},\
        "old":{"idList":"5e8f1b2c3d4e5f6a7b8c9d10"},\
        "board":{"id":"5e8f1b2c3d4e5f6a7b8c9d0e","name":"Caravan board","shortLink":"AbCdEfGh"},\
        "listBefore":{"id":"5e8f1b2c3d4e5f6a7b8c9d10","name":"Doing"},\
        "listAfter":{"id":"5e8f1b2c3d4e5f6a7b8c9d11","name":"Done"}},\
        "type":"updateCard","date":"2025-03-11T10:15:30.123Z",\
        "display":{"translationKey":"action_move_card_from_list_to_list"},\
        "memberCreator":{"id":"5a1b2c3d4e5f6a7b8c9d0e1f","username":"ada","fullName":"Ada L.",\
        "initials":"AL","avatarHash":null}}}"""
        .formatted(actionId);
  }

  /** A comment with non-ASCII text (the signature is over the UTF-8 bytes). */
  static String commentAdded(String actionId) {
    return """
        {"model":{"id":"5e8f1b2c3d4e5f6a7b8c9d0e","name":"Caravan board"},
         "action":{"id":"%s","type":"commentCard","date":"2025-03-11T11:00:00.000Z",
          "data":{"text":"Déjà vu – ça marche ✓","card":{"id":"5e8f1b2c3d4e5f6a7b8c9d99",
           "name":"Café ☕"},"list":{"id":"5e8f1b2c3d4e5f6a7b8c9d11","name":"Done"},
           "board":{"id":"5e8f1b2c3d4e5f6a7b8c9d0e","name":"Caravan board"}},
          "memberCreator":{"id":"5a1b2c3d4e5f6a7b8c9d0e1f","username":"ada"}}}
        """
        .formatted(actionId);
  }

  static String signature(String secret, String body, String callbackUrl) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA1");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
    mac.update(body.getBytes(StandardCharsets.UTF_8));
    mac.update(callbackUrl.getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().encodeToString(mac.doFinal());
  }

  private static String newActionId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 24);
  }

  private URI uri() {
    return URI.create("http://127.0.0.1:" + port + "/events/trello");
  }

  private HttpResponse<String> post(String body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri()).POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> signedPost(String body) throws Exception {
    return post(
        body,
        "Content-Type",
        "application/json",
        "X-Trello-Webhook",
        signature(SECRET, body, CALLBACK_URL));
  }

  private EventStore store() {
    return camel.getComponent("event", EventComponent.class).getStore();
  }

  private static void assertError(HttpResponse<String> response, int status, String error)
      throws Exception {
    GatewayResponses.assertJsonError(response, status, error, SECRET);
  }

  @Test
  void answersTrellosHeadHandshakeWith200() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(uri())
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEmpty();
  }

  @Test
  void storesASignedDeliveryAsATrelloEvent() throws Exception {
    String actionId = newActionId();
    String body = cardMoved(actionId);

    HttpResponse<String> response = signedPost(body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    assertThat(json(response.body()).path("id").asText()).isEqualTo(actionId);
    assertThat(json(response.body()).path("runs").isArray()).isTrue();
    assertThat(response.headers().firstValue("Location")).hasValue("/api/events/" + actionId);
    Event event = store().find(actionId).orElseThrow();
    assertThat(event.source()).isEqualTo("trello");
    assertThat(event.type()).isEqualTo("trello:updateCard");
    assertThat(event.subject()).isEqualTo("5e8f1b2c3d4e5f6a7b8c9d0e");
    assertThat(event.time()).isEqualTo(Instant.parse("2025-03-11T10:15:30.123Z"));
    assertThat(event.labels())
        .containsEntry("boardId", "5e8f1b2c3d4e5f6a7b8c9d0e")
        .containsEntry("boardName", "Caravan board")
        .containsEntry("listBefore", "Doing")
        .containsEntry("listAfter", "Done")
        .containsEntry("cardId", "5e8f1b2c3d4e5f6a7b8c9d99")
        .containsEntry("cardName", "Ship the Trello gateway")
        .containsEntry("member", "ada");
    assertThat(json(event.data())).isEqualTo(json(body));
  }

  @Test
  void aRedeliveryIsADuplicate() throws Exception {
    String actionId = newActionId();
    String body = cardMoved(actionId);
    HttpResponse<String> first = signedPost(body);
    assertThat(first.statusCode()).isEqualTo(202);

    HttpResponse<String> again = signedPost(body);

    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(json(again.body()).path("id").asText()).isEqualTo(actionId);
    assertThat(json(again.body()).path("duplicate").asBoolean()).isTrue();
    assertThat(json(again.body()).path("runs")).isEqualTo(json(first.body()).path("runs"));
  }

  @Test
  void verifiesTheSignatureOverTheUtf8BytesOfNonAsciiText() throws Exception {
    String actionId = newActionId();
    String body = commentAdded(actionId);

    HttpResponse<String> response = signedPost(body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    Event event = store().find(actionId).orElseThrow();
    assertThat(event.type()).isEqualTo("trello:commentCard");
    assertThat(event.labels())
        .containsEntry("cardName", "Café ☕")
        .containsEntry("listName", "Done")
        .doesNotContainKeys("listBefore", "listAfter");
    assertThat(json(event.data()).path("action").path("data").path("text").asText())
        .isEqualTo("Déjà vu – ça marche ✓");
  }

  @Test
  void refusesBadRequestsWithJsonErrorsAndStoresNothing() throws Exception {
    String actionId = newActionId();
    String body = cardMoved(actionId);
    String good = signature(SECRET, body, CALLBACK_URL);

    assertError(post(body, "Content-Type", "application/json"), 401, "unauthorized");
    assertError(
        post(
            body,
            "Content-Type",
            "application/json",
            "X-Trello-Webhook",
            signature("another-secret", body, CALLBACK_URL)),
        401,
        "unauthorized");
    assertError(
        post(
            body,
            "Content-Type",
            "application/json",
            "X-Trello-Webhook",
            signature(SECRET, body, "https://elsewhere.example.com/events/trello")),
        401,
        "unauthorized");
    assertError(
        post(
            body.replace("Done", "Shipped"),
            "Content-Type",
            "application/json",
            "X-Trello-Webhook",
            good),
        401,
        "unauthorized");
    assertError(
        post(body, "Content-Type", "text/plain", "X-Trello-Webhook", good),
        415,
        "unsupported media type");
    assertError(
        post("payload=x", "Content-Type", "application/x-www-form-urlencoded"),
        415,
        "unsupported media type");
    assertError(post(body, "X-Trello-Webhook", good), 415, "unsupported media type");
    for (String invalid :
        new String[] {
          "{\"action\": {\"id\": \"" + actionId + "\", \"type\": ",
          "[]",
          "",
          "{\"model\":{\"id\":\"m\"},\"action\":{\"id\":\"" + actionId + "\"}}",
          "{\"model\":{\"id\":\"m\"},\"action\":{\"type\":\"updateCard\"}}",
        }) {
      assertError(
          post(
              invalid,
              "Content-Type",
              "application/json",
              "X-Trello-Webhook",
              signature(SECRET, invalid, CALLBACK_URL)),
          400,
          "bad request");
    }
    for (String method : new String[] {"GET", "PUT", "DELETE"}) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri())
                  .method(method, HttpRequest.BodyPublishers.ofString(body))
                  .header("Content-Type", "application/json")
                  .header("X-Trello-Webhook", good)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(method).isEqualTo(405);
      assertThat(json(response.body()).path("error").asText()).isEqualTo("method not allowed");
    }
    assertThat(store().find(actionId)).isEmpty();

    // the gateway still takes a good delivery afterwards
    assertThat(signedPost(body).statusCode()).isEqualTo(202);
    assertThat(store().find(actionId)).isPresent();
  }

  @Test
  void requestHeadersDoNotReachTheEvent() throws Exception {
    String actionId = newActionId();
    String body = cardMoved(actionId);

    HttpResponse<String> response =
        post(
            body,
            "Content-Type",
            "application/json",
            "X-Trello-Webhook",
            signature(SECRET, body, CALLBACK_URL),
            "CaravanEventType",
            "forged",
            "CaravanEventSource",
            "trello/forged",
            "CaravanEventLabels",
            "x");

    assertThat(response.statusCode()).isEqualTo(202);
    Event event = store().find(actionId).orElseThrow();
    assertThat(event.source()).isEqualTo("trello");
    assertThat(event.type()).isEqualTo("trello:updateCard");
  }

  @Test
  void withoutItsSettingsTheGatewayAnswers503() {
    TrelloWebhook unconfigured = new TrelloWebhook();
    unconfigured.setSecret("");
    Exchange exchange = new DefaultExchange(camel);
    exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "HEAD");

    assertThatThrownBy(() -> unconfigured.process(exchange))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.getStatus()).isEqualTo(503);
              assertThat(e.getMessage()).contains("caravan.trello.secret");
            });

    unconfigured.setSecret(SECRET);
    exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "POST");
    exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
    exchange.getMessage().setBody("{}");
    assertThatThrownBy(() -> unconfigured.process(exchange))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.getStatus()).isEqualTo(503);
              assertThat(e.getMessage()).contains("caravan.trello.callback-url");
            });
    assertThat(unconfigured.toString()).doesNotContain(SECRET);
  }
}
