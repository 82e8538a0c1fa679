package dev.caravan.cli;

import picocli.CommandLine.Option;

/** The options every command that talks to a server takes: where, with which token, how shown. */
final class GlobalOptions {

  static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

  @Option(
      names = {"-s", "--server"},
      paramLabel = "URL",
      description = "The Caravan server (default: $CARAVAN_URL, else " + DEFAULT_SERVER + ").")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "The API token (default: $CARAVAN_API_TOKEN).")
  String token;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "table (default), json or yaml.")
  OutputFormat output = OutputFormat.table;

  enum OutputFormat {
    table,
    json,
    yaml
  }
}
