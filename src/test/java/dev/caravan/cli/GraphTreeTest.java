package dev.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * A run's graph in the shape of the REST API's contract ({@code state} on every node, split nodes
 * with {@code items} and {@code counts}) as {@code runs get} prints it. The app does not send a
 * run's graph yet, so this is the test of that part of {@code runs get}.
 */
class GraphTreeTest {

  private final ObjectMapper json = new ObjectMapper();

  private String print(String graph, boolean colours) throws Exception {
    StringWriter out = new StringWriter();
    Printer printer = new Printer(new PrintWriter(out), colours, json);
    new GraphTree(printer).print(json.readTree(graph));
    printer.flush();
    return out.toString();
  }

  private static final String MATRIX =
      """
      {"kind": "sequence", "name": "matrix", "label": "event:webhook/matrix", "state": "FAILED",
       "children": [
         {"kind": "step", "name": "prepare", "label": "prepare", "state": "SUCCEEDED",
          "children": []},
         {"kind": "split", "name": "split", "label": "${body[versions]}", "state": "FAILED",
          "items": [{"index": 0, "state": "SUCCEEDED"}, {"index": 1, "state": "FAILED"}],
          "counts": {"SUCCEEDED": 1, "FAILED": 1},
          "children": [
            {"kind": "step", "name": "test", "label": "test", "state": "FAILED", "children": []}]},
         {"kind": "step", "name": "report", "label": "report", "state": "SKIPPED"}]}
      """;

  @Test
  void printsEveryNodeWithItsStateAndSplitItemsUnderTheirNode() throws Exception {
    assertThat(print(MATRIX, false))
        .isEqualTo(
            """
            sequence matrix (event:webhook/matrix)  FAILED
            ├─ step prepare  SUCCEEDED
            ├─ split split (${body[versions]})  FAILED
            │  │  counts: SUCCEEDED 1, FAILED 1
            │  │  items: #0 SUCCEEDED, #1 FAILED
            │  └─ step test  FAILED
            └─ step report  SKIPPED
            """);
  }

  @Test
  void aPipelineGraphWithoutStatesHasNoStateColumn() throws Exception {
    String pipeline =
        MATRIX.replaceAll(", \"state\": \"[A-Z_]+\"", "").replaceAll("\"state\": \"[A-Z_]+\",", "");

    assertThat(print(pipeline, false))
        .startsWith("sequence matrix (event:webhook/matrix)\n├─ step prepare\n");
  }

  @Test
  void coloursStatesOnlyWhenAsked() throws Exception {
    assertThat(print(MATRIX, true))
        .contains("\u001b[32mSUCCEEDED\u001b[0m", "\u001b[31mFAILED\u001b[0m");
    assertThat(print(MATRIX, false)).doesNotContain("\u001b[");
  }
}
