package dev.caravan.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventJsonTest {

  @Test
  void validatedJsonIsTheTextAsSent() {
    String sent = "{\"n\": 1e999999999,\n \"m\": 1.10, \"e\": 2E-3 }";

    assertThat(EventJson.validated(sent)).isSameAs(sent);
    assertThatThrownBy(() -> EventJson.validated("{\"n\": 1} x"))
        .isInstanceOf(InvalidEventException.class);
  }

  @Test
  void numbersParseExactlyWithoutInfinity() {
    assertThat(EventJson.parse("{\"n\":1e999999999}").get("n").decimalValue())
        .isEqualTo(new BigDecimal("1e999999999"));
    assertThat(EventJson.parse("[1.10]").toString()).isEqualTo("[1.10]");
    assertThat(EventJson.toJava("{\"n\":-1e999999999}"))
        .isEqualTo(Map.of("n", new BigDecimal("-1e999999999")));
  }

  @Test
  void cloudEventCarriesTheStoredDataText() {
    String data = "{ \"n\": 1e999999999 }";
    Event event = new Event("i", "s", "t", null, Instant.EPOCH, Map.of(), data);

    String cloudEvent = EventJson.toCloudEvent(event);

    assertThat(cloudEvent).contains("\"data\":" + data);
    assertThat(EventJson.parse(cloudEvent).get("data").get("n").decimalValue())
        .isEqualTo(new BigDecimal("1e999999999"));
  }

  @Test
  void structuredCloudEventKeepsItsDataTextOfEveryKind() {
    String[] datas = {
      "{ \"n\" : 1e999999999, \"s\": \"}\\\"{\" }",
      "[1.10, [], {}]",
      "\"a \\\"quoted\\\" \\u00e9 string\"",
      "1e999999999",
      "-0.0",
      "true",
    };
    for (String data : datas) {
      for (String json :
          new String[] {
            "{\"specversion\":\"1.0\",\"id\":\"x\",\"type\":\"t\",\"data\":" + data + "}",
            "{ \"data\" :  " + data + " ,\n \"specversion\":\"1.0\",\"id\":\"x\",\"type\":\"t\"}",
          }) {
        Event event = EventJson.fromCloudEvent(json, "webhook/ci", Map.of());

        assertThat(event.data()).as(json).isEqualTo(data);
      }
    }
  }

  @Test
  void aRepeatedDataMemberGivesTheLastOneAsTheTreeDoes() {
    String json = "{\"specversion\":\"1.0\",\"id\":\"x\",\"type\":\"t\",\"data\":1,\"data\":[2]}";

    assertThat(EventJson.fromCloudEvent(json, "s", Map.of()).data()).isEqualTo("[2]");
  }
}
