package dev.caravan.kjob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
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

/** Where and how an exchange goes on after its local step ended, also while Camel stops. */
class StepContinuationTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;

  private CamelContext context;
  private ProducerTemplate template;

  @BeforeEach
  void startCamel() throws Exception {
    context = new DefaultCamelContext();
    KjobComponent kjob = new KjobComponent();
    kjob.setExecutor("local");
    kjob.setLocalWorkDir(tmp.resolve("work").toString());
    context.addComponent("kjob", kjob);
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:quick")
                .to("kjob:quick?script=true")
                .process(e -> e.setProperty("continuedOn", Thread.currentThread().getName()));
            from("direct:long")
                .to("kjob:long?script=touch \"$DIR/started\"; sleep 300&env.DIR=" + tmp);
          }
        });
    context.start();
    template = context.createProducerTemplate();
  }

  @AfterEach
  void stopCamel() {
    context.stop();
  }

  @Test
  void theExchangeContinuesOnAKjobContinueThreadAfterItsProcessExited() {
    Exchange done = template.request("direct:quick", e -> {});

    assertThat(done.getException()).isNull();
    assertThat(done.getProperty("continuedOn", String.class))
        .as("not the thread of a process exit or of kjob's IO pool")
        .contains("kjob-continue");
  }

  @Test
  void aContinuationTheStoppedPoolRefusesStillCompletesTheExchange() throws Exception {
    ExecutorService continuations = StepExecutors.of(context).continuations();
    context.getExecutorServiceManager().shutdown(continuations);

    CompletableFuture<Exchange> running = template.asyncSend("direct:quick", e -> {});

    Exchange done = running.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(done.getException()).isInstanceOf(RejectedExecutionException.class);
    assertThat(done.getProperty("continuedOn")).as("the rest of the route did not run").isNull();
  }

  @Test
  void aStepKilledBecauseCamelStopsEndsAsInterruptedNotAsFailed() throws Exception {
    CompletableFuture<Exchange> running = template.asyncSend("direct:long", e -> {});
    await().atMost(WAIT).until(() -> Files.exists(tmp.resolve("started")));

    StepExecutors.of(context).stop();

    Exchange done = running.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(done.getException()).isInstanceOf(StepInterruptedException.class);
    assertThat(done.getMessage().getHeader(KjobConstants.STEP_STATUS))
        .as("no step result: its run is resumed, and the step runs again")
        .isNull();
  }
}
