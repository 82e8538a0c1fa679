package dev.caravan.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.kjob.StepFailedException;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonErrorResponseTest {

  private CamelContext context;

  @BeforeEach
  void startCamel() throws Exception {
    context = new DefaultCamelContext();
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            onException(Exception.class).handled(true).process(new JsonErrorResponse());
            from("direct:fail")
                .routeId("fail")
                .process(
                    exchange -> {
                      throw switch (exchange.getMessage().getBody(String.class)) {
                        case "step" -> new StepFailedException(exchange, "lint", "lint-1", 2, "x");
                        case "input" -> new IllegalArgumentException("bad \"name\"");
                        default -> new IllegalStateException("boom");
                      };
                    });
          }
        });
    context.start();
  }

  @AfterEach
  void stopCamel() {
    context.stop();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "step | 502 | {\"error\":\"step failed\",\"detail\":\"Step 'lint' (lint-1) failed with exit",
        "input | 400 | {\"error\":\"bad request\",\"detail\":\"bad \\\"name\\\"\"}",
        "other | 500 | {\"error\":\"internal error\",\"detail\":\"see the server log for exchange ",
      })
  void answersWithStatusAndJsonError(String kind, int status, String bodyStart) {
    Exchange result =
        context
            .createProducerTemplate()
            .request(
                "direct:fail",
                e -> {
                  e.getMessage().setBody(kind);
                  e.getMessage().setHeader("Secret-Looking", "keep-out");
                });

    assertThat(result.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(status);
    assertThat(result.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/json");
    assertThat(result.getMessage().getHeader("Secret-Looking")).isNull();
    assertThat(result.getMessage().getBody(String.class)).startsWith(bodyStart);
  }
}
