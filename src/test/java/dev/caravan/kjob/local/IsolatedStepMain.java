package dev.caravan.kjob.local;

import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
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
 * <p>Arguments: the local work directory, then optionally {@value #DUMPABLE}: the control case, in
 * which the process is made dumpable again after the local executor's guard ran (as if the {@code
 * prctl} had never been made), so that the test shows the step can then read what the guard hides.
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

  /** The argument of the control case. */
  static final String DUMPABLE = "dumpable";

  private static final int PR_SET_DUMPABLE = 4;

  private IsolatedStepMain() {}

  public static void main(String[] args) throws Exception {
    PrintStream report = System.out;
    System.setOut(System.err); // log output must not mix with the report
    if (args.length > 1 && args[1].equals(DUMPABLE)) {
      undoTheGuardsPrctl();
    }
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

  /**
   * Applies the local executor's guard now (the executor's own call then finds it applied), then
   * reverts its {@code prctl(PR_SET_DUMPABLE, 0)} with {@code prctl(PR_SET_DUMPABLE, 1)}.
   */
  private static void undoTheGuardsPrctl() {
    CaravanProcessGuard.apply();
    Native.load(Platform.C_LIBRARY_NAME, LinuxProcessControl.CLibrary.class)
        .prctl(
            PR_SET_DUMPABLE,
            new NativeLong(1),
            new NativeLong(0),
            new NativeLong(0),
            new NativeLong(0));
    if (LinuxProcessControl.get().orElseThrow().isDumpable()) {
      System.err.println("IsolatedStepMain: Caravan's process made dumpable again (control case)");
    } else {
      throw new IllegalStateException("prctl(PR_SET_DUMPABLE, 1) had no effect");
    }
  }
}
