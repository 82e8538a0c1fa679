package dev.caravan.kjob.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caravan.TestGit;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepEvent;
import dev.caravan.kjob.StepEvents;
import dev.caravan.kjob.StepExecutors;
import dev.caravan.kjob.StepFailedException;
import dev.caravan.kjob.StepStatus;
import dev.caravan.kjob.StepTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalExecutorTest {

  @TempDir Path tmp;

  private CamelContext context;
  private ProducerTemplate template;

  @BeforeEach
  void startCamel() {
    context = new DefaultCamelContext();
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(tmp.resolve("work").toString());
    kjob.setLocalSecretsDir(tmp.resolve("secrets").toString());
    // the checkout tests clone local repositories
    kjob.setCheckoutAllowedSchemes("file");
    context.addComponent("kjob", kjob);
    context.start();
    template = context.createProducerTemplate();
  }

  @AfterEach
  void stopCamel() {
    context.stop();
  }

  private void route(String from, String... steps) throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            var route = from(from).routeId(from.replace(':', '-'));
            for (String step : steps) {
              route.to(step);
            }
          }
        });
  }

  @Test
  void outputBecomesBodyWithStatusHeaders() throws Exception {
    route("direct:a", "kjob:hello?script=RAW(echo out; echo err >&2)");

    Exchange result = template.request("direct:a", e -> {});

    assertThat(result.getException()).isNull();
    assertThat(result.getMessage().getBody(String.class)).isEqualTo("out\nerr\n");
    assertThat(result.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.SUCCEEDED);
    assertThat(result.getMessage().getHeader(KjobConstants.EXIT_CODE)).isEqualTo(0);
    assertThat(result.getMessage().getHeader(KjobConstants.JOB_NAME, String.class))
        .startsWith("hello-")
        .endsWith("-1");
    assertThat(result.getMessage().getHeader(KjobConstants.STEP_DURATION, Long.class))
        .isNotNull()
        .isGreaterThanOrEqualTo(0L);
  }

  @Test
  void aStepLeadsItsOwnSessionWithOnlyItsThreeDescriptorsAndNoSignalBlockedOrIgnored()
      throws Exception {
    // the shell's pid, session, process group; its open descriptors; its blocked and ignored
    // signals, read by what it execs (the shell blocks every signal around each fork, and keeps
    // pipes and saved descriptors open around pipelines and redirections: a child could see them)
    route(
        "direct:a",
        "kjob:self?script=RAW(set -- $(sed 's/.*) //' /proc/$$/stat); echo \"$$ $4 $3\";"
            + " ls /proc/$$/fd;"
            + " exec grep -E '^Sig(Blk|Ign)' /proc/self/status)");

    List<String> lines = template.requestBody("direct:a", "", String.class).lines().toList();

    String[] ids = lines.get(0).split(" ");
    assertThat(ids[1]).as("session of %s", ids[0]).isEqualTo(ids[0]);
    assertThat(ids[2]).as("process group of %s", ids[0]).isEqualTo(ids[0]);
    int signals = lines.size() - 2;
    assertThat(lines.subList(1, signals))
        .as("open descriptors")
        .containsExactlyInAnyOrder("0", "1", "2");
    assertThat(signalMask(lines.get(signals), "SigBlk")).as("blocked signals").isZero();
    // 32 and 33 are the C library's own (below SIGRTMIN): every JVM child has them ignored
    assertThat(signalMask(lines.get(signals + 1), "SigIgn") & STANDARD_SIGNALS)
        .as("ignored signals")
        .isZero();
  }

  /** Signals 1 to 31, as bits of a /proc status mask. */
  private static final long STANDARD_SIGNALS = 0x7fffffffL;

  private static long signalMask(String line, String name) {
    assertThat(line).startsWith(name + ":");
    return Long.parseUnsignedLong(line.substring(name.length() + 1).trim(), 16);
  }

  @Test
  void aStepThatLeavesALargeInputUnreadSucceeds() throws Exception {
    route("direct:a", "kjob:unread?script=echo done");

    // four times a pipe's buffer: the rest is written after the step exited
    String output = template.requestBody("direct:a", "x".repeat(256 * 1024), String.class);

    assertThat(output).isEqualTo("done\n");
  }

  @Test
  void aStepKilledByASignalHasTheExitCodeJavaGives() throws Exception {
    route("direct:a", "kjob:killed?script=kill -TERM $$");

    Exchange result = template.request("direct:a", e -> {});

    assertThat(result.getMessage().getHeader(KjobConstants.EXIT_CODE)).isEqualTo(128 + 15);
  }

  @Test
  void commandAndArgsRunWithoutShell() throws Exception {
    route("direct:a", "kjob:printf?command=printf&args=[%s],a b,c");

    assertThat(template.requestBody("direct:a", "", String.class)).isEqualTo("[a b][c]");
  }

  @Test
  void nonZeroExitRaisesStepFailedExceptionWithExitCodeAndLogTail() throws Exception {
    route("direct:a", "kjob:fail?script=seq 1 30; exit 3&logTailLines=2");

    Exchange result = template.request("direct:a", e -> {});

    assertThat(result.getException()).isInstanceOf(StepFailedException.class);
    StepFailedException failure = (StepFailedException) result.getException();
    assertThat(failure.getExitCode()).isEqualTo(3);
    assertThat(failure.getLogTail()).isEqualTo("29\n30");
    assertThat(failure.getMessage()).contains("fail", "exit code 3", "29\n30");
    assertThat(result.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.FAILED);
  }

  @Test
  void failureWorksWithDoTry() throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:try")
                .routeId("try")
                .doTry()
                .to("kjob:fail?script=exit 4")
                .doCatch(StepFailedException.class)
                .setBody(simple("caught ${exception.exitCode}"))
                .end();
          }
        });

    assertThat(template.requestBody("direct:try", "", String.class)).isEqualTo("caught 4");
  }

  @Test
  void envOptionsAndSimpleExpressionsReachTheScriptAsDataOnly() throws Exception {
    Path marker = tmp.resolve("pwned");
    route(
        "direct:a",
        "kjob:env?script=printf '%s|%s' \"$GREETING\" \"$TITLE\"&env.GREETING=hi"
            + "&env.TITLE=${header.title}");

    String hostile = "$(touch " + marker + ")`touch " + marker + "`; touch " + marker;
    String output = template.requestBodyAndHeader("direct:a", "", "title", hostile, String.class);

    assertThat(output).isEqualTo("hi|" + hostile);
    assertThat(marker).doesNotExist();
  }

  @Test
  void headersOverrideOptionsPerExchange() throws Exception {
    route("direct:a", "kjob:override?script=echo from-option");

    String output =
        template.requestBodyAndHeaders(
            "direct:a",
            "",
            Map.of("CaravanScript", "echo \"from-header $X\"", "CaravanEnv", Map.of("X", "1")),
            String.class);

    assertThat(output).isEqualTo("from-header 1\n");
  }

  @Test
  void stdinPipesOutputFromOneStepToTheNext() throws Exception {
    route("direct:a", "kjob:a?script=cat; echo two", "kjob:b?script=tr a-z A-Z");

    assertThat(template.requestBody("direct:a", "one\n", String.class)).isEqualTo("ONE\nTWO\n");
  }

  @Test
  void timeoutKillsTheWholeTreeIncludingChildrenThatIgnoreSigterm() throws Exception {
    Path pidFile = tmp.resolve("child.pid");
    route(
        "direct:a",
        "kjob:slow?timeout=1s&script=RAW(trap '' TERM; sh -c \"trap '' TERM; sleep 300\" & echo $! > "
            + pidFile
            + "; wait)");

    Exchange result = template.request("direct:a", e -> {});

    assertThat(result.getException()).isInstanceOf(StepTimeoutException.class);
    assertThat(result.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.TIMED_OUT);
    long childPid = Long.parseLong(Files.readString(pidFile).trim());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(childPid).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void aTimedOutStepsLogEndsWithTheLimitEvenPastTheKeptBytes() throws Exception {
    route(
        "direct:a",
        "kjob:slow?timeout=1500ms&maxOutputBytes=1000&script=RAW(head -c 5000 /dev/zero | tr '\\0'"
            + " x; echo; echo last words; sleep 300)");

    Exchange result = template.request("direct:a", e -> {});

    assertThat(result.getException()).isInstanceOf(StepTimeoutException.class);
    String log = result.getMessage().getBody(String.class);
    assertThat(log)
        .contains("bytes of output dropped]\n")
        .endsWith("x\nlast words\n[caravan: timed out after 1s500ms]\n");
    assertThat(((StepTimeoutException) result.getException()).getLogTail())
        .endsWith("last words\n[caravan: timed out after 1s500ms]");
  }

  @Test
  void aStepThatEndsInTimeHasNoTimeoutLine() throws Exception {
    route("direct:a", "kjob:quick?timeout=5m&script=echo done");

    assertThat(template.requestBody("direct:a", "", String.class)).isEqualTo("done\n");
  }

  @Test
  void parallelStepsOverlapInTime() throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:fan")
                .routeId("fan")
                .multicast(
                    (oldExchange, newExchange) -> {
                      List<Exchange> all =
                          oldExchange == null
                              ? new ArrayList<>()
                              : oldExchange.getMessage().getBody(List.class);
                      all.add(newExchange);
                      Exchange holder = oldExchange == null ? newExchange.copy() : oldExchange;
                      holder.getMessage().setBody(all);
                      return holder;
                    })
                .parallelProcessing()
                .to("kjob:left?script=sleep 0.5", "kjob:right?script=sleep 0.5");
          }
        });

    List<?> branches = template.requestBody("direct:fan", "", List.class);

    assertThat(branches).hasSize(2);
    Exchange left = (Exchange) branches.get(0);
    Exchange right = (Exchange) branches.get(1);
    Instant leftStart = left.getMessage().getHeader(KjobConstants.STEP_STARTED, Instant.class);
    Instant leftEnd = left.getMessage().getHeader(KjobConstants.STEP_ENDED, Instant.class);
    Instant rightStart = right.getMessage().getHeader(KjobConstants.STEP_STARTED, Instant.class);
    Instant rightEnd = right.getMessage().getHeader(KjobConstants.STEP_ENDED, Instant.class);
    assertThat(leftStart).isBefore(rightEnd);
    assertThat(rightStart).isBefore(leftEnd);
  }

  @Test
  void eventReachesTheStepAsFileAndVariables() throws Exception {
    route(
        "direct:a",
        "kjob:event?script=cat \"$CARAVAN_EVENT_FILE\"; echo; echo \"$CARAVAN_EVENT_TYPE"
            + " $CARAVAN_EVENT_SUBJECT $CARAVAN_EVENT_ID\"");

    StepEvent event =
        new StepEvent(
            "e-1", null, "push", "octo/repo", null, Map.of(), "{\"id\":\"e-1\",\"type\":\"push\"}");
    String output =
        output(
            template.request(
                "direct:a",
                e -> {
                  e.getMessage().setBody("");
                  e.setProperty(KjobConstants.STEP_EVENT, event);
                }));

    assertThat(output).isEqualTo("{\"id\":\"e-1\",\"type\":\"push\"}\npush octo/repo e-1\n");
  }

  @Test
  void secretsComeFromTheLocalSecretsDirectoryAndCallerEnvironmentStaysOut() throws Exception {
    Files.createDirectories(tmp.resolve("secrets/gh-token"));
    Files.writeString(tmp.resolve("secrets/gh-token/TOKEN"), "s3cret");
    route("direct:a", "kjob:secret?envFromSecret=gh-token&script=echo \"$TOKEN\"; env | sort");

    String output = template.requestBody("direct:a", "", String.class);

    assertThat(output).startsWith("s3cret\n").contains("CARAVAN_STEP=secret");
    assertThat(output.lines().map(line -> line.split("=", 2)[0]))
        .allMatch(
            name ->
                name.startsWith("CARAVAN_")
                    || List.of(
                            "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR",
                            "SHELL", "TOKEN", "PWD", "SHLVL", "_", "s3cret")
                        .contains(name));
  }

  @Test
  void missingSecretFailsNamingIt() throws Exception {
    route("direct:a", "kjob:secret?envFromSecret=absent&script=true");

    Exchange result = template.request("direct:a", e -> {});

    assertThat(result.getException()).isInstanceOf(StepFailedException.class);
    assertThat(((StepFailedException) result.getException()).getLogTail())
        .isEqualTo(
            "[caravan: the step could not start: Secret 'absent' not found: the local executor"
                + " expects a directory "
                + tmp.resolve("secrets/absent")
                + " with one file per key]");
  }

  @Test
  void redeliveryRunsANewAttempt() throws Exception {
    Path counter = tmp.resolve("attempts");
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            onException(StepFailedException.class).maximumRedeliveries(2).redeliveryDelay(0);
            from("direct:retry")
                .routeId("retry")
                .to(
                    "kjob:flaky?script=echo x >> "
                        + counter
                        + "; test $(wc -l < "
                        + counter
                        + ") -ge 2 || exit 1; echo \"$CARAVAN_JOB_NAME\"")
                .setHeader("flakyJob", body())
                .to("kjob:next?script=echo \"$CARAVAN_JOB_NAME\"");
          }
        });

    Exchange result = template.request("direct:retry", e -> {});

    assertThat(Files.readAllLines(counter)).hasSize(2);
    assertThat(result.getMessage().getHeader("flakyJob", String.class).trim())
        .startsWith("flaky-")
        .endsWith("-2");
    assertThat(result.getMessage().getBody(String.class).trim())
        .as("the step after a retried one starts at attempt 1")
        .startsWith("next-")
        .endsWith("-1");
  }

  @Test
  void scriptCanBeLoadedFromAResource() throws Exception {
    Path script = tmp.resolve("two-lines.sh");
    Files.writeString(script, "echo one\necho two\n");
    route("direct:a", "kjob:file?script=resource:file:" + script);

    assertThat(template.requestBody("direct:a", "", String.class)).isEqualTo("one\ntwo\n");
  }

  @Test
  void outputBeyondTheCapKeepsItsHeadAndTailWithAMarkerBetween() throws Exception {
    route("direct:a", "kjob:big?maxOutputBytes=10&script=seq 1 10");

    assertThat(template.requestBody("direct:a", "", String.class))
        .isEqualTo("1\n2\n3\n[caravan: 11 bytes of output dropped]\n9\n10\n");
  }

  // checkout and workspace

  /** A repository with two commits of f.txt ("first", then "second"); returns the first's sha. */
  private String repositoryWithTwoCommits(Path repo) throws Exception {
    TestGit.init(repo);
    String first = TestGit.commit(repo, "f.txt", "first\n");
    TestGit.commit(repo, "f.txt", "second\n");
    return first;
  }

  /** The run id header and, as the event consumer sets it, the run's event with these labels. */
  private static Processor event(String runId, Map<String, String> labels) {
    return event(runId, labels, Map.of());
  }

  private static Processor event(
      String runId, Map<String, String> labels, Map<String, Object> headers) {
    return exchange -> {
      exchange.getMessage().setBody("");
      exchange.getMessage().setHeader(KjobConstants.RUN_ID, runId);
      exchange.getMessage().getHeaders().putAll(headers);
      exchange.setProperty(KjobConstants.STEP_EVENT, StepEvents.labels(labels));
    };
  }

  /** The body of a step that succeeded. */
  private static String output(Exchange result) {
    assertThat(result.getException()).isNull();
    return result.getMessage().getBody(String.class);
  }

  @Test
  void checkoutClonesTheEventsRepositoryAtItsCommitIntoTheWorkingDirectory() throws Exception {
    Path repo = tmp.resolve("repo");
    String first = repositoryWithTwoCommits(repo);
    route("direct:a", "kjob:build?checkout=true&script=cat f.txt; git rev-parse HEAD; pwd");

    String output =
        output(
            template.request(
                "direct:a",
                event(
                    "run-co",
                    Map.of("cloneUrl", repo.toString(), "commit", first, "ref", "main"))));

    List<String> lines = output.lines().toList();
    assertThat(lines.subList(0, 2)).containsExactly("first", first);
    assertThat(Path.of(lines.get(2))).startsWithRaw(tmp.resolve("work"));
    // removed right after the step's result was handed on
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(Path.of(lines.get(2))).doesNotExist());
  }

  @Test
  void checkoutFallsBackToTheRefLabelAndHeadersOverrideLabels() throws Exception {
    Path repo = tmp.resolve("repo");
    String first = repositoryWithTwoCommits(repo);
    route("direct:a", "kjob:build?checkout=true&script=cat f.txt");

    assertThat(
            output(
                template.request(
                    "direct:a",
                    event(
                        "run-ref", Map.of("cloneUrl", repo.toString(), "ref", "refs/heads/main")))))
        .isEqualTo("second\n");
    Map<String, Object> headers =
        Map.of("CaravanRepository", repo.toString(), "CaravanRevision", first);
    assertThat(
            output(
                template.request(
                    "direct:a",
                    event(
                        "run-hdr",
                        Map.of("cloneUrl", tmp.resolve("elsewhere").toString()),
                        headers))))
        .isEqualTo("first\n");
  }

  @Test
  void checkoutWithoutARepositoryFailsNamingTheLabelAndTheOption() throws Exception {
    route("direct:a", "kjob:build?checkout=true&script=true");

    Exchange result = template.request("direct:a", event("run-none", Map.of("commit", "abc")));

    assertThat(result.getException())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("checkout=true needs a repository URL")
        .hasMessageContaining("cloneUrl")
        .hasMessageContaining("the option repository")
        .hasMessageContaining("CaravanRepository");
  }

  @Test
  void eventValuesReachGitAsArgumentsOnly() throws Exception {
    Path marker = tmp.resolve("pwned");
    route("direct:a", "kjob:build?checkout=true&script=true");

    Exchange result =
        template.request(
            "direct:a",
            event(
                "run-hostile",
                Map.of(
                    "cloneUrl",
                    tmp.resolve("nope") + "; touch " + marker + " $(touch " + marker + ")",
                    "commit",
                    "main`touch " + marker + "`")));
    Exchange option =
        template.request(
            "direct:a",
            event(
                "run-option", Map.of("cloneUrl", "--upload-pack=touch " + marker, "commit", "x")));

    assertThat(result.getException()).isInstanceOf(StepFailedException.class);
    assertThat(((StepFailedException) result.getException()).getLogTail())
        .contains("checkout failed: git fetch exited with");
    assertThat(option.getException())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not start with '-'");
    assertThat(marker).doesNotExist();
  }

  @Test
  void workspaceIsSharedByTheStepsOfARunOnly() throws Exception {
    route(
        "direct:a",
        "kjob:write?workspace=true&script=echo shared > data.txt; echo \"$CARAVAN_WORKSPACE\"",
        "kjob:read?workspace=true&script=cat data.txt; pwd");

    String output =
        template.requestBodyAndHeader("direct:a", "", KjobConstants.RUN_ID, "run-ws", String.class);

    Path workspace = LocalStepExecutor.workspaceDir(tmp.resolve("work"), "run-ws");
    assertThat(workspace.getParent()).isEqualTo(tmp.resolve("work/workspaces"));
    assertThat(output).isEqualTo("shared\n" + workspace.toRealPath() + "\n");
    assertThat(workspace.resolve("data.txt")).hasContent("shared");

    route("direct:other", "kjob:read?workspace=true&script=cat data.txt");
    Exchange other =
        template.request(
            "direct:other", e -> e.getMessage().setHeader(KjobConstants.RUN_ID, "run-other"));
    assertThat(other.getException()).isInstanceOf(StepFailedException.class);
    assertThat(((StepFailedException) other.getException()).getLogTail()).contains("data.txt");

    StepExecutors.of(context).deleteWorkspace("run-ws").join();
    assertThat(workspace).doesNotExist();
  }

  @Test
  void parallelStepsOfARunShareItsWorkspace() throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:fan")
                .routeId("fan")
                .to("kjob:write?workspace=true&script=echo shared > data.txt")
                .multicast()
                .parallelProcessing()
                .to(
                    "kjob:left?workspace=true&script=sleep 0.2; cat data.txt > left.txt",
                    "kjob:right?workspace=true&script=sleep 0.2; cat data.txt > right.txt")
                .end()
                .to("kjob:join?workspace=true&script=cat left.txt right.txt");
          }
        });

    Exchange result =
        template.request("direct:fan", e -> e.getMessage().setHeader(KjobConstants.RUN_ID, "r-p"));

    assertThat(result.getException()).isNull();
    assertThat(result.getMessage().getBody(String.class)).isEqualTo("shared\nshared\n");
  }

  @Test
  void checkoutInAWorkspaceGoesToItsSourceDirectory() throws Exception {
    Path repo = tmp.resolve("repo");
    String first = repositoryWithTwoCommits(repo);
    route(
        "direct:a",
        "kjob:checkout?checkout=true&workspace=true&script=pwd",
        "kjob:build?workspace=true&script=cat source/f.txt");

    Exchange result =
        template.request(
            "direct:a", event("run-src", Map.of("cloneUrl", repo.toString(), "commit", first)));

    assertThat(result.getException()).isNull();
    assertThat(result.getMessage().getBody(String.class)).isEqualTo("first\n");
    assertThat(LocalStepExecutor.workspaceDir(tmp.resolve("work"), "run-src").resolve("source"))
        .isDirectory();
  }

  @Test
  void checkoutOrWorkspaceHeaderThatIsNoBooleanFailsNamingIt() throws Exception {
    route("direct:a", "kjob:build?script=true");

    Exchange result =
        template.request("direct:a", e -> e.getMessage().setHeader("CaravanWorkspace", "yes"));

    assertThat(result.getException())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CaravanWorkspace=yes");
  }
}
