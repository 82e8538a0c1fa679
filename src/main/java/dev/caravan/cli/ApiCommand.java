package dev.caravan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that talks to a server: its options, its client and its printer. */
abstract class ApiCommand implements Callable<Integer> {

  @Mixin GlobalOptions options;

  @Spec CommandSpec spec;

  private ApiClient client;

  ApiClient api() {
    if (client == null) {
      Caravan caravan = Caravan.of(spec);
      String server = options.server;
      if (server == null || server.isBlank()) {
        server = caravan.environment().getOrDefault("CARAVAN_URL", GlobalOptions.DEFAULT_SERVER);
      }
      String token = options.token;
      if (token == null) {
        token = caravan.environment().get("CARAVAN_API_TOKEN");
      }
      client = new ApiClient(server, token);
    }
    return client;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  Printer printer() {
    return new Printer(out(), Caravan.of(spec).colours(), api().json());
  }

  /**
   * Prints {@code answer} as JSON or YAML when asked to; false when the table is up to the caller.
   */
  boolean printedAsData(JsonNode answer) {
    if (options.output == GlobalOptions.OutputFormat.table) {
      return false;
    }
    printer().data(answer, options.output);
    return true;
  }

  @Override
  public final Integer call() throws Exception {
    int code = execute();
    out().flush();
    return code;
  }

  abstract int execute() throws Exception;
}
