package dev.caravan.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Reads a {@code text/event-stream} to its end, one {@link Event} per blank-line-ended block. */
final class ServerSentEvents {

  /** One event: its id (or the last one seen), its name ({@code message} when none) and data. */
  record Event(String id, String name, String data) {}

  private ServerSentEvents() {}

  /**
   * Hands each event to the consumer until the stream ends.
   *
   * @return the id of the last event handed on, to reconnect with; {@code lastId} if none was
   */
  static String read(InputStream stream, String lastId, Consumer<Event> consumer) {
    String id = lastId;
    String nextId = lastId;
    String name = null;
    StringBuilder data = null;
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) {
            id = nextId;
            consumer.accept(new Event(id, name == null ? "message" : name, data.toString()));
          }
          name = null;
          data = null;
        } else if (!line.startsWith(":")) {
          int colon = line.indexOf(':');
          String field = colon < 0 ? line : line.substring(0, colon);
          String value = colon < 0 ? "" : line.substring(colon + 1);
          if (value.startsWith(" ")) {
            value = value.substring(1);
          }
          switch (field) {
            case "id" -> nextId = value;
            case "event" -> name = value;
            case "data" ->
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            default -> {
              // retry and unknown fields: nothing to do for a command line
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return id;
  }
}
