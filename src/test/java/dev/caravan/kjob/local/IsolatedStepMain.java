package dev.caravan.kjob.local;

import dev.caravan.kjob.KjobComponent;
import java.io.PrintStream;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The child JVM of {@link LocalStepsCannotReadCaravansEnvironmentIT}: a plain Caravan running one
 * real kjob local step that tries to read Caravan's environment, and writes the step's output to
 * standard output.
 *
 * <p>Arguments: the local work directory.
 */
public final class IsolatedStepMain {

  /** What the step runs: it prints its user, then every environment it can read. */
  static final String PEEK =
      "echo \"uid=$(id -u)\"; echo '--- own'; tr '\\0' '\\n' < /proc/self/environ;"
          + " echo '--- parent'; tr '\\0' '\\n' < /proc/$PPID/environ 2>&1;"
          + " echo '--- parent threads'; for f in /proc/$PPID/task/*/environ; do"
          + " tr '\\0' '\\n' < \"$f\" 2>&1; done;"
          + " echo '--- every process'; for f in /proc/[0-9]*/environ /proc/[0-9]*/task/*/environ;"
          + " do tr '\\0' '\\n' < \"$f\" 2>/dev/null; done;"
          + " echo '--- end'";

  private IsolatedStepMain() {}

  public static void main(String[] args) throws Exception {
    PrintStream report = System.out;
    System.setOut(System.err); // log output must not mix with the report
    CamelContext context = new DefaultCamelContext();
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(args[0]);
    context.addComponent("kjob", kjob);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:peek")
                .routeId("peek")
                .setHeader("CaravanScript", constant(PEEK))
                .to("kjob:peek?script=true");
          }
        });
    context.start();
    try {
      report.print(context.createProducerTemplate().requestBody("direct:peek", "", String.class));
      report.flush();
    } finally {
      context.stop();
    }
  }
}
