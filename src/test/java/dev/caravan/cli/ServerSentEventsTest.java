package dev.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.cli.ServerSentEvents.Event;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerSentEventsTest {

  private final List<Event> events = new ArrayList<>();

  private String read(String text, String lastId) {
    return ServerSentEvents.read(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), lastId, events::add);
  }

  @Test
  void readsEachBlockAsOneEventWithItsIdNameAndData() {
    String last =
        read(
            "retry: 1000\n\nid: 7\nevent: run\ndata: {\"id\":\"r1\"}\n\n"
                + ": a comment\nid: 8\nevent: step\ndata:{\"name\":\"b\"}\n\n",
            null);

    assertThat(events)
        .containsExactly(
            new Event("7", "run", "{\"id\":\"r1\"}"), new Event("8", "step", "{\"name\":\"b\"}"));
    assertThat(last).isEqualTo("8");
  }

  @Test
  void joinsDataLinesAndNamesAnUnnamedEventMessage() {
    read("data: one\ndata: two\n\n", "3");

    assertThat(events).containsExactly(new Event("3", "message", "one\ntwo"));
  }

  @Test
  void anEventCutOffByTheEndOfTheStreamIsNotHandedOnAndTheLastIdStays() {
    String last = read("id: 4\nevent: run\ndata: {\"id\":", "3");

    assertThat(events).isEmpty();
    assertThat(last).as("to reconnect with, so that event 4 comes again").isEqualTo("3");
  }
}
