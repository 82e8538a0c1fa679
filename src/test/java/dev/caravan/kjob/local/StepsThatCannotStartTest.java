package dev.caravan.kjob.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.caravan.LogCapture;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.KjobConstants;
import dev.caravan.kjob.StepFailedException;
import dev.caravan.kjob.StepStatus;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A step whose process cannot start is FAILED without an exit code, the reason in its log, and
 * nothing of the value that stopped it reaches a log line raw.
 */
class StepsThatCannotStartTest {

  /** NUL ends the value for the operating system; CR and LF would forge log lines. */
  private static final String HOSTILE = "Fix\0bug\r\n2026-01-01 ERROR forged line";

  @TempDir Path tmp;

  private CamelContext context;
  private ProducerTemplate template;
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void startCamel() {
    logs = LogCapture.startAll();
    context = new DefaultCamelContext();
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(tmp.resolve("work").toString());
    kjob.setLocalSecretsDir(tmp.resolve("secrets").toString());
    context.addComponent("kjob", kjob);
    context.start();
    template = context.createProducerTemplate();
  }

  @AfterEach
  void stopCamel() {
    context.stop();
    LogCapture.stopAll(logs);
  }

  private Exchange run(String uri, String title) throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:step").routeId("step").to(uri);
          }
        });
    return template.request("direct:step", e -> e.getMessage().setHeader("title", title));
  }

  private static String tail(Exchange result) {
    assertThat(result.getException()).isInstanceOf(StepFailedException.class);
    assertThat(result.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .isEqualTo(StepStatus.FAILED);
    assertThat(result.getMessage().getHeader(KjobConstants.EXIT_CODE)).isNull();
    return ((StepFailedException) result.getException()).getLogTail();
  }

  private void assertNoLogLineHoldsRaw(String... fragments) {
    assertThat(LogCapture.events(logs)).isNotEmpty();
    for (ILoggingEvent event : LogCapture.events(logs)) {
      String text = LogCapture.text(event);
      for (String fragment : fragments) {
        assertThat(text).as("a log line of %s", event.getLoggerName()).doesNotContain(fragment);
      }
    }
  }

  @Test
  void aNulInAnEnvironmentValueFailsTheStepNamingTheVariable() throws Exception {
    Exchange result = run("kjob:title?env.TITLE=${header.title}&script=echo \"$TITLE\"", HOSTILE);

    assertThat(tail(result))
        .isEqualTo(
            "[caravan: the step could not start: environment variable TITLE holds a NUL"
                + " character]");
    assertThat(result.getException().getMessage()).doesNotContain("\r", "\0", "forged");
    assertNoLogLineHoldsRaw("\r", "\0", "\nforged", "\n2026-01-01");
  }

  @Test
  void aNulInAScriptFromAHeaderFailsTheStepNamingTheOption() throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:script")
                .routeId("script")
                .setHeader("CaravanScript", header("title"))
                .to("kjob:script?script=true");
          }
        });

    Exchange result =
        template.request("direct:script", e -> e.getMessage().setHeader("title", HOSTILE));

    assertThat(tail(result))
        .isEqualTo("[caravan: the step could not start: the option script holds a NUL character]");
  }

  @Test
  void aNulInASecretFailsTheStepNamingTheKeyButNotTheSecret() throws Exception {
    Files.createDirectories(tmp.resolve("secrets/deploy"));
    Files.writeString(tmp.resolve("secrets/deploy/TOKEN"), "s3cretValue\0rest");

    Exchange result = run("kjob:deploy?envFromSecret=deploy&script=true", "");

    assertThat(tail(result))
        .isEqualTo(
            "[caravan: the step could not start: the key TOKEN of Secret 'deploy' holds a NUL"
                + " character]");
    assertNoLogLineHoldsRaw("s3cretValue");
  }

  @Test
  void aWorkingDirectoryThatCannotBeMadeFailsTheStep() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");

    Exchange result = run("kjob:build?workingDir=" + file.resolve("below") + "&script=true", "");

    assertThat(tail(result))
        .startsWith("[caravan: the step could not start: ")
        .contains(file.resolve("below").toString());
  }

  @Test
  void aValueWithLineBreaksInAnErrorIsEscaped() throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:dir")
                .routeId("dir")
                .setHeader("CaravanWorkingDir", simple(file + "/${header.title}"))
                .to("kjob:dir?script=true");
          }
        });

    Exchange result =
        template.request(
            "direct:dir", e -> e.getMessage().setHeader("title", "x\r\n2026-01-01 ERROR forged"));

    assertThat(tail(result))
        .startsWith("[caravan: the step could not start: ")
        .contains("x\\r\\n2026-01-01 ERROR forged")
        .doesNotContain("\r", "\n");
    assertNoLogLineHoldsRaw("\r", "\n2026-01-01");
  }

  @Test
  void aBadHeaderValueIsEscapedInItsError() throws Exception {
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:header")
                .routeId("header")
                .setHeader("CaravanWorkspace", header("title"))
                .to("kjob:header?script=true");
          }
        });

    Exchange result =
        template.request(
            "direct:header",
            e -> e.getMessage().setHeader("title", "yes\r\n2026-01-01 ERROR forged"));

    assertThat(result.getException())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid header CaravanWorkspace=yes\\r\\n2026-01-01 ERROR forged: expected true or"
                + " false");
    assertNoLogLineHoldsRaw("\r", "\n2026-01-01");
  }
}
