package dev.caravan.kjob.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "The whole process tree dies": children that leave the step's session ({@code setsid}) or are
 * orphaned by a double fork, and ignore SIGTERM, are killed (and reaped) when the step times out
 * and when it exits normally.
 */
class StepProcessTreeTest {

  /** A child in a session of its own that ignores SIGTERM, started from the step's shell. */
  private static final String SETSID_CHILD =
      "setsid sh -c 'trap \"\" TERM; echo $$ > \"$PIDS/child\"; exec sleep 300' </dev/null"
          + " >/dev/null 2>&1 &";

  /** The same, orphaned at once: the subshell that starts it exits. */
  private static final String DOUBLE_FORKED_CHILD =
      "(setsid sh -c 'trap \"\" TERM; echo $$ > \"$PIDS/child\"; exec sleep 300' </dev/null"
          + " >/dev/null 2>&1 &)";

  /** Waits until the child has written its pid. */
  private static final String AWAIT_CHILD = " while [ ! -s \"$PIDS/child\" ]; do sleep 0.05; done";

  private static final Duration STEP_WAIT = Duration.ofSeconds(30);

  @TempDir Path tmp;

  private CamelContext context;
  private KjobComponent kjob;
  private ProducerTemplate template;
  private Long child;

  @BeforeEach
  void startCamel() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/setsid")), "needs util-linux setsid");
    context = new DefaultCamelContext();
    kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(tmp.resolve("work").toString());
    context.addComponent("kjob", kjob);
    context.start();
    template = context.createProducerTemplate();
  }

  @AfterEach
  void stopCamel() {
    if (child != null) {
      ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
    }
    if (context != null) {
      context.stop();
    }
  }

  private Exchange run(String options, String script) throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:step")
                .routeId("step")
                .to("kjob:tree?" + options + "env.PIDS=" + tmp + "&script=RAW(" + script + ")");
          }
        });
    try {
      // bounded: a child that holds the step's output open must not hold the step
      return template
          .asyncSend("direct:step", e -> {})
          .get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      Path pid = tmp.resolve("child");
      if (Files.exists(pid)) {
        child = Long.parseLong(Files.readString(pid).trim());
      }
    }
  }

  /** Dead and reaped: not even a zombie is left. */
  private void assertChildIsGone() {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Path.of("/proc", child.toString()))
                    .as("process %s (alive, or a zombie nobody reaped)", child)
                    .doesNotExist());
  }

  @Test
  void aSetsidChildThatIgnoresSigtermDiesWhenTheStepTimesOut() throws Exception {
    Exchange result = run("timeout=2s&", SETSID_CHILD + AWAIT_CHILD + "; sleep 300");

    assertThat(result.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.TIMED_OUT);
    assertChildIsGone();
  }

  @Test
  void aSetsidChildThatIgnoresSigtermDiesWhenTheStepExits() throws Exception {
    Exchange result = run("", SETSID_CHILD + AWAIT_CHILD + "; echo done");

    assertThat(result.getException()).isNull();
    assertThat(result.getMessage().getBody(String.class)).isEqualTo("done\n");
    assertChildIsGone();
  }

  @Test
  void aDoubleForkedChildThatIgnoresSigtermDiesWhenTheStepTimesOut() throws Exception {
    Exchange result = run("timeout=2s&", DOUBLE_FORKED_CHILD + ";" + AWAIT_CHILD + "; sleep 300");

    assertThat(result.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.TIMED_OUT);
    assertChildIsGone();
  }

  @Test
  void aDoubleForkedChildThatIgnoresSigtermDiesWhenTheStepExits() throws Exception {
    Exchange result = run("", DOUBLE_FORKED_CHILD + ";" + AWAIT_CHILD + "; echo done");

    assertThat(result.getException()).isNull();
    assertThat(result.getMessage().getBody(String.class)).isEqualTo("done\n");
    assertChildIsGone();
  }

  @Test
  void aDoubleForkedChildThatKeepsTheOutputOpenDoesNotHoldTheStep() throws Exception {
    Exchange result =
        run(
            "",
            "(setsid sh -c 'trap \"\" TERM; echo $$ > \"$PIDS/child\"; exec sleep 300' &);"
                + AWAIT_CHILD
                + "; echo done");

    assertThat(result.getException()).isNull();
    assertThat(result.getMessage().getBody(String.class)).isEqualTo("done\n");
    assertChildIsGone();
  }

  @Test
  void anOrphanThatClearedItsEnvironmentDiesWithTheStep() throws Exception {
    Exchange result =
        run(
            "",
            "(env -i PIDS=\"$PIDS\" setsid sh -c 'trap \"\" TERM; echo $$ > \"$PIDS/child\";"
                + " exec sleep 300' </dev/null >/dev/null 2>&1 &);"
                + AWAIT_CHILD
                + "; echo done");

    assertThat(result.getException()).isNull();
    assertChildIsGone();
  }

  @Test
  void anOrphanThatNamesAJobThatNeverRanDiesWithTheStep() throws Exception {
    Exchange result =
        run(
            "",
            "(env CARAVAN_JOB_NAME=made-up setsid sh -c 'trap \"\" TERM; echo $$ >"
                + " \"$PIDS/child\"; exec sleep 300' </dev/null >/dev/null 2>&1 &);"
                + AWAIT_CHILD
                + "; echo done");

    assertThat(result.getException()).isNull();
    assertChildIsGone();
  }

  @Test
  void whatAStepOfAKilledCaravanLeftRunningDiesBeforeTheStepRunsAgain() throws Exception {
    assumeTrue(OrphanReaper.shared().isEnabled(), "needs /proc and the JNA binding");
    // as a SIGKILLed Caravan leaves a step: its shell in a session of its own, with a child that
    // cleared its environment; and another job's step, which stays
    Process leftover = leftoverStep("run-1-b-1", tmp.resolve("cleared"));
    Process otherJob = leftoverStep("run-2-b-1", tmp.resolve("other"));
    await().atMost(STEP_WAIT).until(() -> Files.size(tmp.resolve("cleared")) > 0);
    child = Long.parseLong(Files.readString(tmp.resolve("cleared")).trim());
    long otherChild = Long.parseLong(Files.readString(tmp.resolve("other")).trim());

    kjob.executors().local().killLeftovers("run-1-b-1");

    assertThat(leftover.waitFor(10, TimeUnit.SECONDS)).as("the job's shell died").isTrue();
    assertChildIsGone();
    assertThat(otherJob.isAlive()).as("another job's shell").isTrue();
    assertThat(ProcessHandle.of(otherChild).map(ProcessHandle::isAlive))
        .as("another job's child")
        .contains(true);
    ProcessHandle.of(otherChild).ifPresent(ProcessHandle::destroyForcibly);
    otherJob.destroyForcibly();
  }

  /** A step's shell as Caravan starts it (in its own session, the job named), with a child. */
  private static Process leftoverStep(String jobName, Path childPid) throws Exception {
    Files.createFile(childPid);
    ProcessBuilder builder =
        new ProcessBuilder(
            "/usr/bin/setsid",
            "sh",
            "-c",
            "env -i sleep 300 </dev/null >/dev/null 2>&1 & echo $! > \"$CHILD\"; exec sleep 300");
    builder.environment().put("CARAVAN_JOB_NAME", jobName);
    builder.environment().put("CHILD", childPid.toString());
    return builder
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
  }
}
