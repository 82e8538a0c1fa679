package dev.caravan.kjob.local;

import dev.caravan.kjob.StepExecutor;
import dev.caravan.kjob.StepListener;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepSpec;
import dev.caravan.kjob.StepStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.camel.util.FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each step as a child process: {@code /bin/sh -c script} (or command and args), body on
 * standard input, combined stdout and stderr as output, the whole process tree killed on timeout.
 */
public final class LocalStepExecutor implements StepExecutor {

  private static final Logger LOG = LoggerFactory.getLogger(LocalStepExecutor.class);

  /** Variables of Caravan's own environment a step sees; everything else (secrets!) stays out. */
  private static final List<String> INHERITED =
      List.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SHELL");

  /** How long output may stay open after the process exited before its group is killed. */
  private static final long ORPHAN_GRACE_MILLIS = 2000;

  private final ExecutorService ioThreads;
  private final ScheduledExecutorService timers;
  private final Path workRoot;
  private final Path secretsDir;
  private final Map<String, RunningStep> running = new ConcurrentHashMap<>();
  private final StepListener listener;

  /**
   * @param ioThreads pumps standard input and output of the processes
   * @param timers fires timeouts
   * @param workRoot parent of the per-step directories
   * @param secretsDir holds one directory per Secret, one file per key
   * @param listener hears each process's pid and, once a second, its output so far
   */
  public LocalStepExecutor(
      ExecutorService ioThreads,
      ScheduledExecutorService timers,
      Path workRoot,
      Path secretsDir,
      StepListener listener) {
    this.ioThreads = ioThreads;
    this.timers = timers;
    this.workRoot = workRoot;
    this.secretsDir = secretsDir;
    this.listener = listener;
    LOG.info(
        "kjob local executor: steps run as child processes of Caravan; their image option is not"
            + " used");
  }

  @Override
  public CompletableFuture<StepResult> execute(StepRequest request) {
    try {
      return start(request);
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Kills the running step with that Job name; its result then says CANCELED. */
  public boolean cancel(String jobName) {
    RunningStep step = running.get(jobName);
    if (step == null) {
      return false;
    }
    step.canceled.set(true);
    ProcessTree.kill(step.process);
    return true;
  }

  /**
   * Kills what is left of a step's process group from before a crash, so that running the step
   * again cannot race its orphaned earlier self.
   */
  public void killOrphan(long pgid) {
    if (running.values().stream().noneMatch(step -> step.process.pid() == pgid)) {
      ProcessTree.killGroup(pgid);
    }
  }

  /** Kills the running steps; their runs are interrupted, to be resumed (see README). */
  @Override
  public void close() {
    running
        .values()
        .forEach(
            step -> {
              step.interrupted.set(true);
              ProcessTree.kill(step.process);
            });
  }

  private CompletableFuture<StepResult> start(StepRequest request) throws IOException {
    StepSpec spec = request.spec();
    Path stepDir = workRoot.resolve(request.jobName() + "-" + UUID.randomUUID());
    Files.createDirectories(stepDir);
    Path workDir = spec.workingDir() == null ? stepDir.resolve("work") : Path.of(spec.workingDir());
    Files.createDirectories(workDir);

    ProcessBuilder builder =
        new ProcessBuilder(ProcessTree.inOwnSession(commandLine(spec)))
            .directory(workDir.toFile())
            .redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment(request, stepDir));

    Instant started = Instant.now();
    Process process = builder.start();
    RunningStep step = new RunningStep(process);
    running.put(request.jobName(), step);
    listener.started(request, process.pid());

    OutputBuffer output = new OutputBuffer(spec.maxOutputBytes());
    ScheduledFuture<?> progress =
        timers.scheduleWithFixedDelay(
            () -> listener.output(request, output.text()), 1, 1, TimeUnit.SECONDS);
    CompletableFuture<Void> drained =
        CompletableFuture.runAsync(() -> drain(process, output), ioThreads);
    feedInput(process, request.input());
    ScheduledFuture<?> timeout =
        spec.timeout().isZero()
            ? null
            : timers.schedule(
                () -> {
                  step.timedOut.set(true);
                  ProcessTree.kill(process);
                },
                spec.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
    process
        .onExit()
        .thenRun(
            () ->
                timers.schedule(
                    () -> {
                      if (!drained.isDone()) {
                        ProcessTree.killGroup(process.pid());
                      }
                    },
                    ORPHAN_GRACE_MILLIS,
                    TimeUnit.MILLISECONDS));

    return CompletableFuture.allOf(process.onExit(), drained)
        .handle(
            (ignored, error) -> {
              progress.cancel(false);
              if (timeout != null) {
                timeout.cancel(false);
              }
              running.remove(request.jobName());
              FileUtil.removeDir(stepDir.toFile());
              if (error != null) {
                throw new IllegalStateException(
                    "Reading the output of " + request.jobName(), error);
              }
              return new StepResult(
                  request.jobName(),
                  statusOf(step, process.exitValue()),
                  process.exitValue(),
                  output.text(),
                  started,
                  Instant.now());
            });
  }

  private static StepStatus statusOf(RunningStep step, int exitCode) {
    if (step.canceled.get()) {
      return StepStatus.CANCELED;
    }
    if (step.timedOut.get()) {
      return StepStatus.TIMED_OUT;
    }
    return exitCode == 0 ? StepStatus.SUCCEEDED : StepStatus.FAILED;
  }

  private static List<String> commandLine(StepSpec spec) {
    if (spec.hasScript()) {
      return List.of("/bin/sh", "-c", spec.script());
    }
    List<String> line = new ArrayList<>(spec.command());
    line.addAll(spec.args());
    return line;
  }

  private Map<String, String> environment(StepRequest request, Path stepDir) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String name : INHERITED) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    for (String secret : request.spec().envFromSecrets()) {
      env.putAll(readSecret(secret));
    }
    env.putAll(request.spec().env());
    env.putAll(request.caravanEnv());
    if (request.eventJson() != null) {
      Path eventFile = stepDir.resolve("event.json");
      Files.writeString(eventFile, request.eventJson(), StandardCharsets.UTF_8);
      env.put("CARAVAN_EVENT_FILE", eventFile.toString());
    }
    return env;
  }

  private Map<String, String> readSecret(String secret) throws IOException {
    Path dir = secretsDir.resolve(secret);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "Secret '"
              + secret
              + "' not found: the local executor expects a directory "
              + dir
              + " with one file per key");
    }
    Map<String, String> values = new LinkedHashMap<>();
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        values.put(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
      }
    }
    return values;
  }

  private static void drain(Process process, OutputBuffer output) {
    try {
      output.drain(process.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void feedInput(Process process, byte[] input) throws IOException {
    OutputStream stdin = process.getOutputStream();
    if (input.length == 0) {
      stdin.close();
      return;
    }
    ioThreads.execute(
        () -> {
          try (stdin) {
            stdin.write(input);
          } catch (IOException e) {
            // the step exited or closed its standard input without reading all of it, as in a
            // shell pipe: not an error
          }
        });
  }

  private static final class RunningStep {
    final Process process;
    final AtomicBoolean timedOut = new AtomicBoolean();
    final AtomicBoolean canceled = new AtomicBoolean();
    final AtomicBoolean interrupted = new AtomicBoolean();

    RunningStep(Process process) {
      this.process = process;
    }
  }
}
