package dev.caravan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The logs of a run: one step's ({@code /steps/{step}/logs}) or the whole run's ({@code /logs},
 * each line prefixed by {@code [step]} or {@code [step#index]}). Servers without the whole-run
 * endpoint get it assembled from the steps' logs; following a step that has not started waits for
 * it while the run goes on, on servers that answer 404 for it.
 */
final class RunLogs {

  static final Duration POLL = Duration.ofMillis(500);

  private final ApiClient api;
  private final PrintWriter out;

  RunLogs(ApiClient api, PrintWriter out) {
    this.api = api;
    this.out = out;
  }

  void step(String run, String step, String index, boolean follow) {
    String path = "/api/runs/" + Paths.segment(run) + "/steps/" + Paths.segment(step) + "/logs";
    Map<String, String> query = new LinkedHashMap<>();
    query.put("index", index);
    query.put("follow", follow ? "true" : null);
    while (true) {
      try {
        copy(api.stream(path, query), "");
        return;
      } catch (ApiError e) {
        if (!follow || e.status() != 404 || hasEnded(runOrThrow(run))) {
          throw e;
        }
        // the step has not started yet (a server that does not wait for it itself)
        pause();
      }
    }
  }

  void run(String run, boolean follow) {
    String path = "/api/runs/" + Paths.segment(run) + "/logs";
    try {
      copy(api.stream(path, follow ? Map.of("follow", "true") : Map.of()), "");
    } catch (ApiError e) {
      if (e.status() != 404) {
        throw e;
      }
      runOrThrow(run); // an unknown run stays a 404; a known one: a server without /logs
      assemble(run, follow);
    }
  }

  /** The whole run's log from its steps' logs, in the order the steps started. */
  private void assemble(String run, boolean follow) {
    Set<String> printed = new HashSet<>();
    while (true) {
      JsonNode answer = runOrThrow(run);
      boolean ended = hasEnded(answer);
      for (JsonNode step : answer.path("steps")) {
        String name = step.path("name").asText();
        String index = step.path("fanOutIndex").asText("");
        String key = name + "\u0000" + index + "\u0000" + step.path("attempt").asText();
        if (printed.contains(key)) {
          continue;
        }
        boolean stepEnded = ExitCodes.hasEnded(step.path("status").asText("RUNNING"));
        Map<String, String> query = new LinkedHashMap<>();
        query.put("index", index);
        query.put("attempt", step.path("attempt").asText(null));
        query.put("follow", follow && !stepEnded ? "true" : null);
        String path = "/api/runs/" + Paths.segment(run) + "/steps/" + Paths.segment(name) + "/logs";
        copy(api.stream(path, query), "[" + name + (index.isEmpty() ? "" : "#" + index) + "] ");
        printed.add(key);
      }
      if (!follow || ended) {
        return;
      }
      pause();
    }
  }

  private JsonNode runOrThrow(String run) {
    return api.get("/api/runs/" + Paths.segment(run), Map.of());
  }

  private static boolean hasEnded(JsonNode run) {
    return ExitCodes.hasEnded(run.path("status").asText("RUNNING"));
  }

  private void copy(InputStream log, String prefix) {
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(log, StandardCharsets.UTF_8))) {
      if (prefix.isEmpty()) {
        char[] buffer = new char[8192];
        int read;
        while ((read = lines.read(buffer)) >= 0) {
          out.write(buffer, 0, read);
          out.flush();
        }
      } else {
        String line;
        while ((line = lines.readLine()) != null) {
          out.println(prefix + line);
          out.flush();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(ExitCodes.FAILURE, "interrupted");
    }
  }
}
