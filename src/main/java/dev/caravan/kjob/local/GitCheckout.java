package dev.caravan.kjob.local;

import dev.caravan.kjob.CheckoutPolicy;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Clones one revision of a repository into a directory with {@code git} child processes: {@code git
 * init}, {@code git fetch --depth 1 -- <repository> <revision>}, {@code git checkout FETCH_HEAD}.
 * Repository and revision are single arguments after {@code --}, never shell text. The fetch may
 * use the repository's own transport only ({@code protocol.allow=never} but for it) and follows no
 * redirects, on top of the {@link CheckoutPolicy} the repository passed before.
 */
final class GitCheckout {

  /** What the checkout ended with; {@code exitCode} 0 when it succeeded. */
  record Outcome(int exitCode, boolean timedOut, String output) {
    boolean succeeded() {
      return exitCode == 0 && !timedOut;
    }
  }

  private GitCheckout() {}

  /**
   * @param dir where the sources go (created by the caller; may already hold a checkout, which is
   *     then moved to the revision)
   * @param revision commit, branch, tag or ref; {@code null} for the remote's HEAD
   * @param env the environment of the git processes
   * @param log file the output of git goes to
   * @param running hears each git process as it starts, and {@code null} when it has ended, so that
   *     the caller can kill it
   * @param timeout longest the whole checkout may take; zero for none
   */
  static Outcome run(
      Path dir,
      String repository,
      String revision,
      Map<String, String> env,
      Path log,
      Consumer<Process> running,
      Duration timeout)
      throws IOException, InterruptedException {
    Instant deadline = timeout.isZero() ? null : Instant.now().plus(timeout);
    Map<String, List<String>> commands = new LinkedHashMap<>();
    commands.put("init", List.of("git", "init", "-q", "."));
    commands.put(
        "fetch",
        List.of(
            "git",
            "-c",
            "protocol.allow=never",
            "-c",
            "protocol." + CheckoutPolicy.gitProtocol(repository) + ".allow=always",
            "-c",
            "http.followRedirects=false",
            "fetch",
            "-q",
            "--depth",
            "1",
            "--",
            repository,
            revision == null ? "HEAD" : revision));
    commands.put("checkout", List.of("git", "checkout", "-q", "FETCH_HEAD"));
    for (Map.Entry<String, List<String>> step : commands.entrySet()) {
      List<String> command = step.getValue();
      ProcessBuilder builder =
          new ProcessBuilder(ProcessTree.inOwnSession(command))
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().clear();
      builder.environment().putAll(env);
      builder.environment().put("GIT_TERMINAL_PROMPT", "0");
      Process process = ProcessTree.start(builder);
      running.accept(process);
      try {
        boolean ended;
        if (deadline == null) {
          process.waitFor();
          ended = true;
        } else {
          long left = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
          ended = process.waitFor(left, TimeUnit.MILLISECONDS);
        }
        if (!ended) {
          ProcessTree.kill(process);
          process.waitFor(5, TimeUnit.SECONDS);
          return new Outcome(
              137, true, output(log) + "[caravan: checkout timed out after " + timeout + "]\n");
        }
      } finally {
        running.accept(null);
      }
      if (process.exitValue() != 0) {
        return new Outcome(
            process.exitValue(),
            false,
            output(log)
                + "[caravan: checkout failed: git "
                + step.getKey()
                + " exited with "
                + process.exitValue()
                + "]\n");
      }
    }
    return new Outcome(0, false, output(log));
  }

  private static String output(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  private static File nullDevice() {
    return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }
}
