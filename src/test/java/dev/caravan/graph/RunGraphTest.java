package dev.caravan.graph;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.kjob.KjobComponent;
import dev.caravan.kjob.StepRecord;
import dev.caravan.kjob.StepStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The states of a run's graph, derived from step records over the route models of real routes (read
 * by {@link PipelineGraph} from a started CamelContext), shown as one line per node: {@code kind
 * name: STATE}, items and counts of fan-out nodes.
 */
class RunGraphTest {

  private static final Instant T0 = Instant.parse("2025-03-02T10:00:00Z");

  private final ObjectMapper json = new ObjectMapper();
  private final List<StepAttempt> records = new ArrayList<>();
  private CamelContext context;

  @BeforeEach
  void startContext() throws Exception {
    context = new DefaultCamelContext();
    context.getComponent("kjob", KjobComponent.class).setExecutor("local");
    context.addRoutes(
        new RouteBuilder() {
          @Override
          public void configure() {
            from("direct:sequence")
                .routeId("sequence")
                .setHeader("x", constant("y"))
                .to("kjob:a?script=echo a")
                .log("between")
                .to("kjob:b?script=echo b")
                .to("kjob:c?script=echo c");
            from("direct:parallel")
                .routeId("parallel")
                .multicast()
                .parallelProcessing()
                .to("kjob:lint?script=echo lint", "kjob:unit?script=echo unit")
                .end()
                .to("kjob:report?script=echo report");
            from("direct:split")
                .routeId("split")
                .split(simple("${body}"))
                .parallelProcessing()
                .doTry()
                .to("kjob:test?script=echo test")
                .doCatch(IllegalStateException.class)
                .setHeader("failed", constant(true))
                .end()
                .end()
                .to("kjob:summary?script=echo summary");
            from("direct:choice")
                .routeId("choice")
                .choice()
                .when(simple("${header.deploy}"))
                .to("kjob:deploy?script=echo deploy")
                .when(simple("${header.quiet}"))
                .log("quiet")
                .otherwise()
                .to("kjob:notify?script=echo notify")
                .end()
                .to("kjob:done?script=echo done");
            from("direct:try")
                .routeId("try")
                .doTry()
                .to("kjob:risky?script=exit 1")
                .log("after risky")
                .doCatch(IllegalStateException.class)
                .setHeader("caught", constant(true))
                .doFinally()
                .log("finally")
                .end()
                .to("kjob:after?script=echo after");
            from("direct:twice")
                .routeId("twice")
                .to("kjob:a?script=echo a")
                .filter(simple("${header.more}"))
                .to("kjob:b?script=echo b")
                .end()
                .to("kjob:a?script=echo a");
          }
        });
    context.start();
  }

  @AfterEach
  void stopContext() {
    context.stop();
  }

  private void record(String step, String index, StepStatus status, Integer exitCode) {
    record(step, index, 1, status, exitCode);
  }

  private void record(String step, String index, int attempt, StepStatus status, Integer exit) {
    records.add(
        new StepAttempt(
            step,
            index,
            new StepRecord(
                attempt,
                "local",
                step + "-" + index + "-" + attempt,
                null,
                status,
                exit,
                T0,
                status == null ? null : T0.plusSeconds(1),
                null)));
  }

  /** The run's graph as the API writes it, one line per node. */
  private String graph(String routeId, String runStatus) throws Exception {
    GraphNode route = new PipelineGraph(context).of(routeId).orElse(null);
    StatedNode stated = RunGraph.of(route, routeId, records, runStatus);
    JsonNode node = json.readTree(json.writeValueAsString(stated.toMap()));
    List<String> lines = new ArrayList<>();
    render(node, "", lines);
    return String.join("\n", lines) + "\n";
  }

  private static void render(JsonNode node, String indent, List<String> lines) {
    StringBuilder line =
        new StringBuilder(indent)
            .append(node.get("kind").asText())
            .append(' ')
            .append(node.get("name").asText())
            .append(": ")
            .append(node.get("state").asText());
    if (node.has("items")) {
      line.append(" items ");
      List<String> items = new ArrayList<>();
      node.get("items")
          .forEach(item -> items.add(item.get("index") + "=" + item.get("state").asText()));
      line.append(items).append(" counts ").append(node.get("counts"));
    }
    if (node.has("inRoute")) {
      line.append(" (not in the route)");
    }
    lines.add(line.toString());
    node.get("children").forEach(child -> render(child, indent + "  ", lines));
  }

  @Test
  void aSequenceIsDoneUpToItsRunningStepAndPendingAfterIt() throws Exception {
    record("a", "", StepStatus.SUCCEEDED, 0);
    record("b", "", null, null);

    assertThat(graph("sequence", "RUNNING"))
        .isEqualTo(
            """
            sequence sequence: RUNNING
              other setHeader: SUCCEEDED
              step a: SUCCEEDED
              other log: SUCCEEDED
              step b: RUNNING
              step c: PENDING
            """);
  }

  @Test
  void whatARunThatEndedEarlyNeverReachedIsSkipped() throws Exception {
    record("a", "", StepStatus.CANCELED, null);

    assertThat(graph("sequence", "CANCELED"))
        .isEqualTo(
            """
            sequence sequence: CANCELED
              other setHeader: SUCCEEDED
              step a: CANCELED
              other log: SKIPPED
              step b: SKIPPED
              step c: SKIPPED
            """);
  }

  @Test
  void parallelBranchesEachShowTheirStep() throws Exception {
    record("lint", "0", StepStatus.FAILED, 2);
    record("unit", "1", null, null);

    assertThat(graph("parallel", "RUNNING"))
        .isEqualTo(
            """
            sequence parallel: RUNNING
              parallel multicast: RUNNING
                step lint: FAILED
                step unit: RUNNING
              step report: PENDING
            """);
  }

  @Test
  void aSplitCarriesItsItemsWithTheirStatesAndCounts() throws Exception {
    record("test", "0", StepStatus.SUCCEEDED, 0);
    record("test", "1", 1, StepStatus.FAILED, 3);
    record("test", "1", 2, StepStatus.FAILED, 4);
    record("test", "2", StepStatus.SUCCEEDED, 0);
    record("test", "10", null, null);

    assertThat(graph("split", "RUNNING"))
        .isEqualTo(
            """
            sequence split: RUNNING
              split split: RUNNING items [0=SUCCEEDED, 1=FAILED, 2=SUCCEEDED, 10=RUNNING] \
            counts {"RUNNING":1,"SUCCEEDED":2,"FAILED":1}
                try doTry: RUNNING
                  step test: RUNNING items [0=SUCCEEDED, 1=FAILED, 2=SUCCEEDED, 10=RUNNING] \
            counts {"RUNNING":1,"SUCCEEDED":2,"FAILED":1}
                  catch doCatch: PENDING
                    other setHeader: PENDING
              step summary: PENDING
            """);
    JsonNode test =
        json.readTree(
                json.writeValueAsString(
                    RunGraph.of(
                            new PipelineGraph(context).of("split").orElseThrow(),
                            "split",
                            records,
                            "RUNNING")
                        .toMap()))
            .at("/children/0/children/0/children/0");
    assertThat(test.get("items").get(1).toString())
        .as("the latest attempt, the index a number")
        .isEqualTo("{\"index\":1,\"state\":\"FAILED\",\"attempt\":2,\"exitCode\":4}");
  }

  @Test
  void aSplitWhoseFailedItemWasCaughtEndsWithTheCatchEntered() throws Exception {
    record("test", "0", StepStatus.SUCCEEDED, 0);
    record("test", "1", StepStatus.FAILED, 3);
    record("summary", "", StepStatus.SUCCEEDED, 0);

    assertThat(graph("split", "SUCCEEDED"))
        .isEqualTo(
            """
            sequence split: SUCCEEDED
              split split: FAILED items [0=SUCCEEDED, 1=FAILED] counts {"SUCCEEDED":1,"FAILED":1}
                try doTry: FAILED
                  step test: FAILED items [0=SUCCEEDED, 1=FAILED] counts {"SUCCEEDED":1,"FAILED":1}
                  catch doCatch: SUCCEEDED
                    other setHeader: SUCCEEDED
              step summary: SUCCEEDED
            """);
  }

  @Test
  void aChoiceShowsTheTakenBranchAndSkipsTheOthers() throws Exception {
    record("deploy", "", StepStatus.SUCCEEDED, 0);
    record("done", "", null, null);

    assertThat(graph("choice", "RUNNING"))
        .isEqualTo(
            """
            sequence choice: RUNNING
              choice choice: SUCCEEDED
                when when: SUCCEEDED
                  step deploy: SUCCEEDED
                when when: SKIPPED
                  other log: SKIPPED
                otherwise otherwise: SKIPPED
                  step notify: SKIPPED
              step done: RUNNING
            """);
  }

  @Test
  void aChoiceWhoseStepsDidNotRunIsSkippedOnceTheRunGotPastIt() throws Exception {
    record("done", "", StepStatus.SUCCEEDED, 0);

    assertThat(graph("choice", "SUCCEEDED"))
        .isEqualTo(
            """
            sequence choice: SUCCEEDED
              choice choice: SKIPPED
                when when: SKIPPED
                  step deploy: SKIPPED
                when when: SKIPPED
                  other log: SKIPPED
                otherwise otherwise: SKIPPED
                  step notify: SKIPPED
              step done: SUCCEEDED
            """);
  }

  @Test
  void aCatchIsEnteredWhenTheTrysStepFailedAndTheRunWentOn() throws Exception {
    record("risky", "", StepStatus.FAILED, 1);
    record("after", "", StepStatus.SUCCEEDED, 0);

    assertThat(graph("try", "SUCCEEDED"))
        .isEqualTo(
            """
            sequence try: SUCCEEDED
              try doTry: FAILED
                step risky: FAILED
                other log: SKIPPED
                catch doCatch: SUCCEEDED
                  other setHeader: SUCCEEDED
                finally doFinally: SUCCEEDED
                  other log: SUCCEEDED
              step after: SUCCEEDED
            """);
  }

  @Test
  void aCatchNotEnteredIsSkipped() throws Exception {
    record("risky", "", StepStatus.SUCCEEDED, 0);
    record("after", "", StepStatus.SUCCEEDED, 0);

    assertThat(graph("try", "SUCCEEDED"))
        .isEqualTo(
            """
            sequence try: SUCCEEDED
              try doTry: SUCCEEDED
                step risky: SUCCEEDED
                other log: SUCCEEDED
                catch doCatch: SKIPPED
                  other setHeader: SKIPPED
                finally doFinally: SUCCEEDED
                  other log: SUCCEEDED
              step after: SUCCEEDED
            """);
  }

  @Test
  void aStepThatComesBackInTheRouteShowsItsRecordAtEachPlaceAndAFilterNotPassedIsSkipped()
      throws Exception {
    record("a", "", StepStatus.SUCCEEDED, 0);

    assertThat(graph("twice", "SUCCEEDED"))
        .isEqualTo(
            """
            sequence twice: SUCCEEDED
              step a: SUCCEEDED
              filter filter: SKIPPED
                step b: SKIPPED
              step a: SUCCEEDED
            """);
  }

  @Test
  void recordsOfStepsTheRouteNoLongerHasAreShownAfterIt() throws Exception {
    record("a", "", StepStatus.SUCCEEDED, 0);
    record("renamed", "", StepStatus.FAILED, 1);

    assertThat(graph("sequence", "FAILED"))
        .isEqualTo(
            """
            sequence sequence: FAILED
              other setHeader: SUCCEEDED
              step a: SUCCEEDED
              other log: SKIPPED
              step b: SKIPPED
              step c: SKIPPED
              step renamed: FAILED (not in the route)
            """);
  }

  @Test
  void aRunWhosePipelineIsGoneIsTheSequenceOfItsRecordedSteps() throws Exception {
    record("build", "", StepStatus.SUCCEEDED, 0);
    record("test", "0", StepStatus.FAILED, 1);
    record("test", "1", StepStatus.SUCCEEDED, 0);

    assertThat(graph("gone", "FAILED"))
        .isEqualTo(
            """
            sequence gone: FAILED (not in the route)
              step build: SUCCEEDED (not in the route)
              step test: FAILED items [0=FAILED, 1=SUCCEEDED] counts {"SUCCEEDED":1,"FAILED":1} \
            (not in the route)
            """);
  }

  @Test
  void plannedStepsAreTheStepNodesWithoutRecordsOnce() throws Exception {
    record("a", "", StepStatus.SUCCEEDED, 0);
    GraphNode route = new PipelineGraph(context).of("twice").orElseThrow();

    assertThat(
            RunGraph.planned(RunGraph.of(route, "twice", records, "RUNNING")).stream()
                .map(node -> node.node().name() + ":" + node.state())
                .collect(Collectors.joining(",")))
        .isEqualTo("b:PENDING");
  }
}
