package dev.caravan.api;

import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

/**
 * Tomcat answers while Camel is still starting its routes: until the event component has opened the
 * run store, the API says so with a 503 a client can retry on, not a 500.
 */
class ApiWhileStartingTest {

  @Test
  void runsAreA503WithRetryAfterUntilTheEventComponentHasOpenedTheStore() throws Exception {
    try (DefaultCamelContext camel = new DefaultCamelContext()) {
      MockMvc api =
          MockMvcBuilders.standaloneSetup(new RunsController(camel))
              .setControllerAdvice(new ApiErrors())
              .build();

      api.perform(get("/api/runs"))
          .andExpect(status().isServiceUnavailable())
          .andExpect(header().string("Retry-After", "2"))
          .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_JSON))
          .andExpect(jsonPath("$.error").value("service unavailable"))
          .andExpect(jsonPath("$.detail").value(containsString("starting")));
    }
  }
}
