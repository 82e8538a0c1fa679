package dev.caravan.dashboard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The pipelines the dashboard's tests run, all with local steps: one for pull requests whose tests
 * fail in the branch taken (the other branch is skipped), one that prints a line every tenth of a
 * second for a minute (its shell's pid in {@code PIDS/ticker}), one that ends at once.
 */
@TestConfiguration
public class DashboardPipelines {

  public static final Path PIDS = createDir();

  @Bean
  RouteBuilder dashboardTestRoutes() {
    return new RouteBuilder() {
      @Override
      public void configure() {
        from("event:github?types=pull_request:opened")
            .routeId("dash-checks")
            .choice()
            .when(simple("${body[pull_request][draft]} == true"))
            .to("kjob:draft-notice?script=echo only a draft")
            .otherwise()
            .to("kjob:unit-tests?script=echo running tests; echo 1 test failed; exit 3")
            .end();
        from("event:dash-ticker")
            .routeId("dash-ticker")
            .to(
                "kjob:ticker?timeout=120s&env.PIDS="
                    + PIDS
                    + "&script=echo $$ > \"$PIDS/ticker\"; for i in $(seq 1 600); do echo tick"
                    + " $i; sleep 0.1; done");
        from("event:dash-quick").routeId("dash-quick").to("kjob:hello?script=echo hello");
        // one deploy at a time; each waits until the test creates PIDS/release-<event id>
        from("event:dash-deploy?concurrencyLimit=1")
            .routeId("dash-deploy")
            .toD(
                "kjob:deploy?env.PIDS="
                    + PIDS
                    + "&env.ID=${header.CaravanEventId}&script=RAW(while [ ! -f"
                    + " \"$PIDS/release-$ID\" ]; do sleep 0.05; done; echo deployed)");
        // one item of three fails; each prints its name in green (an ANSI escape)
        from("event:dash-matrix")
            .routeId("dash-matrix")
            .split(simple("${body[items]}"))
            .to(
                "kjob:build?env.ITEM=${body}&script=RAW(e=$(printf '\\033'); echo"
                    + " \"$e[32mbuilt $ITEM$e[0m\"; test \"$ITEM\" != b)")
            .end();
      }
    };
  }

  private static Path createDir() {
    try {
      return Files.createTempDirectory("dashboard-pids");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
