package dev.caravan.reliability;

import dev.caravan.event.EventComponent;
import dev.caravan.event.EventConstants;
import dev.caravan.event.H2EventComponents;
import dev.caravan.kjob.KjobComponent;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.PrintStream;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The child JVM of {@link CrashRecoveryIT}: a plain Caravan (event component on an H2 file
 * database, {@code kjob}) running the pipeline a → b → c, killed by the test with SIGKILL.
 *
 * <p>Arguments: {@code local|kubernetes}, JDBC URL, directory (process-start counts and local work
 * directory), number of events to publish ({@code e-0} ... {@code e-<n-1>}, 0 for none), and for
 * {@code kubernetes} the API server's URL. Reports {@code accepted <id>} on stdout as soon as the
 * producer returned for an event (what a gateway answers 2xx on), then {@code published}; runs
 * until killed.
 */
public final class CrashChildMain {

  static final String PIPELINE = "pipe";
  static final String NAMESPACE = "test";

  private CrashChildMain() {}

  public static void main(String[] args) throws Exception {
    PrintStream report = System.out;
    System.setOut(System.err); // log output must not mix with the report
    String mode = args[0];
    String jdbcUrl = args[1];
    String dir = args[2];
    int publish = Integer.parseInt(args[3]);

    CamelContext context = new DefaultCamelContext();
    EventComponent events = H2EventComponents.at(jdbcUrl);
    events.setPollInterval(200);
    context.getPropertiesComponent().addInitialProperty("caravan.runs.lease-timeout", "1s");
    context.addComponent("event", events);
    KjobComponent kjob = new KjobComponent();
    String[] steps;
    if ("kubernetes".equals(mode)) {
      kjob.setExecutor("kubernetes");
      kjob.setNamespace(NAMESPACE);
      kjob.setKubernetesClient(
          new KubernetesClientBuilder()
              .withConfig(
                  new ConfigBuilder()
                      .withMasterUrl(args[4])
                      .withTrustCerts(true)
                      .withNamespace(NAMESPACE)
                      .build())
              .build());
      steps =
          new String[] {
            "kjob:a?image=busybox&script=true",
            "kjob:b?image=busybox&script=true",
            "kjob:c?image=busybox&script=true"
          };
    } else {
      kjob.setExecutor("local");
      kjob.setLocalWorkDir(dir + "/work");
      String counts = "&env.COUNTS=" + dir;
      String file = "\"$COUNTS/%s-$CARAVAN_EVENT_ID\"";
      steps =
          new String[] {
            "kjob:a?script=echo a >> " + file.formatted("a") + counts,
            // the first b of each run records its pid and blocks; a re-run finishes at once
            "kjob:b?script=echo b >> "
                + file.formatted("b")
                + "; if [ $(wc -l < "
                + file.formatted("b")
                + ") -eq 1 ]; then echo $$ > "
                + file.formatted("pid-tmp")
                + "; mv "
                + file.formatted("pid-tmp")
                + " "
                + file.formatted("pid")
                + "; sleep 300; fi"
                + counts,
            "kjob:c?script=echo c >> " + file.formatted("c") + counts
          };
    }
    context.addComponent("kjob", kjob);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("event:test?types=go").routeId(PIPELINE).to(steps);
          }
        });
    context.start();

    ProducerTemplate producer = context.createProducerTemplate();
    for (int i = 0; i < publish; i++) {
      String id = "e-" + i;
      Exchange done =
          producer.request(
              "event:test",
              exchange -> {
                exchange.getMessage().setHeader(EventConstants.EVENT_ID, id);
                exchange.getMessage().setHeader(EventConstants.EVENT_TYPE, "go");
                exchange.getMessage().setBody("{\"id\":\"" + id + "\"}");
              });
      if (done.getException() != null) {
        report.println("failed " + id + " " + done.getException());
      } else {
        report.println("accepted " + id);
      }
      report.flush();
    }
    report.println("published");
    report.flush();
    Thread.sleep(Long.MAX_VALUE); // until killed
  }
}
