package dev.caravan.kjob.local;

import dev.caravan.kjob.StepExecutor;
import dev.caravan.kjob.StepInterruptedException;
import dev.caravan.kjob.StepListener;
import dev.caravan.kjob.StepNames;
import dev.caravan.kjob.StepOutput;
import dev.caravan.kjob.StepRequest;
import dev.caravan.kjob.StepResult;
import dev.caravan.kjob.StepSpec;
import dev.caravan.kjob.StepStartException;
import dev.caravan.kjob.StepStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
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

  /** Delay of the sweep for orphans after a step ended (sweeps of steps ending together merge). */
  private static final long ORPHAN_SWEEP_DELAY_MILLIS = 20;

  private final ExecutorService ioThreads;
  private final ScheduledExecutorService timers;
  private final Path workRoot;
  private final Path secretsDir;
  private final Map<String, RunningStep> running = new ConcurrentHashMap<>();
  private final StepListener listener;
  private final OrphanReaper orphans = OrphanReaper.shared();
  private final ScheduledFuture<?> orphanSweeps;
  private final HandOvers handOvers = new HandOvers();

  /**
   * @param ioThreads pumps standard input and output of the processes
   * @param timers fires timeouts
   * @param workRoot parent of the per-step directories
   * @param secretsDir holds one directory per Secret, one file per key
   * @param listener hears, once a second, the output that is new
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
    CaravanProcessGuard.apply();
    orphanSweeps =
        orphans.isEnabled()
            ? timers.scheduleWithFixedDelay(orphans::periodicSweep, 1, 1, TimeUnit.SECONDS)
            : null;
  }

  @Override
  public CompletableFuture<StepResult> execute(StepRequest request) {
    return handOvers.track(run(request));
  }

  private CompletableFuture<StepResult> run(StepRequest request) {
    Dirs dirs;
    RunningStep step = new RunningStep();
    try {
      dirs = prepare(request);
      if (!request.spec().options().isCheckout()) {
        return start(request, dirs, step);
      }
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(notStarted(e));
    }
    // git blocks while it fetches: on an IO thread, not the caller's
    return CompletableFuture.supplyAsync(() -> checkout(request, dirs, step), ioThreads)
        .thenCompose(
            failed -> {
              if (failed != null) {
                return CompletableFuture.completedFuture(failed);
              }
              try {
                return start(request, dirs, step);
              } catch (IOException | RuntimeException e) {
                FileUtil.removeDir(dirs.stepDir().toFile());
                return CompletableFuture.failedFuture(notStarted(e));
              }
            });
  }

  /**
   * The directory a run's steps with {@code workspace=true} share: {@code
   * <workRoot>/workspaces/<run id folded>-<hash of run id>} (the hash keeps run ids that fold alike
   * apart).
   */
  public static Path workspaceDir(Path workRoot, String runId) {
    return workRoot
        .resolve("workspaces")
        .resolve(StepNames.fold(runId, 40) + "-" + StepNames.runHash(runId));
  }

  /** Deletes the run's workspace directory, if it has one. */
  public static void deleteWorkspace(Path workRoot, String runId) {
    Path dir = workspaceDir(workRoot, runId);
    if (Files.isDirectory(dir)) {
      LOG.debug("Deleting workspace {} of run {}", dir, runId);
      FileUtil.removeDir(dir.toFile());
    }
  }

  /** Kills the running step with that Job name; its result then says CANCELED. */
  public boolean cancel(String jobName) {
    RunningStep step = running.get(jobName);
    if (step == null) {
      return false;
    }
    step.canceled.set(true);
    step.kill();
    return true;
  }

  /**
   * Kills what is left of a step that was running when an earlier Caravan was killed, so that
   * running the step again cannot race its orphaned earlier self: the processes whose environment
   * names its Job (see {@link OrphanReaper#killLeftoversOf}). Nothing while this executor runs the
   * step itself.
   */
  public void killLeftovers(String jobName) {
    if (!running.containsKey(jobName)) {
      orphans.killLeftoversOf(jobName);
    }
  }

  /**
   * Kills the running steps and what they left behind; their runs are interrupted, to be resumed
   * (see docs/operations/metrics.md): their futures fail with {@link StepInterruptedException}.
   */
  @Override
  public void close() {
    if (orphanSweeps != null) {
      orphanSweeps.cancel(false);
    }
    running.forEach(
        (jobName, step) -> {
          step.interrupted.set(true);
          step.kill();
          orphans.ended(jobName);
        });
    orphans.sweep();
  }

  /**
   * Waits until the steps {@link #close()} killed have ended and handed their end on (their pools
   * must stay until then).
   *
   * @return whether they all did within the timeout
   */
  public boolean awaitHandOvers(Duration timeout) throws InterruptedException {
    return handOvers.await(timeout);
  }

  /** The step's private directory, its working directory and the run's workspace (or null). */
  private record Dirs(Path stepDir, Path workDir, Path workspace) {}

  private Dirs prepare(StepRequest request) throws IOException {
    StepSpec spec = request.spec();
    Path stepDir = workRoot.resolve(request.jobName() + "-" + UUID.randomUUID());
    Files.createDirectories(stepDir);
    Path workspace = null;
    if (spec.options().isWorkspace()) {
      workspace = workspaceDir(workRoot, request.runId());
      Files.createDirectories(workspace);
    }
    Path workDir;
    if (spec.options().getWorkingDir() != null) {
      workDir = Path.of(spec.options().getWorkingDir());
    } else if (workspace != null) {
      workDir = spec.options().isCheckout() ? workspace.resolve("source") : workspace;
    } else {
      workDir = stepDir.resolve("work");
    }
    Files.createDirectories(workDir);
    return new Dirs(stepDir, workDir, workspace);
  }

  /** Clones the repository into the working directory; a result only when that did not work. */
  private StepResult checkout(StepRequest request, Dirs dirs, RunningStep step) {
    StepSpec spec = request.spec();
    Instant started = Instant.now();
    running.put(request.jobName(), step);
    GitCheckout.Outcome outcome;
    try {
      outcome =
          GitCheckout.run(
              dirs.workDir(),
              spec.repository(),
              spec.revision(),
              inheritedEnvironment(),
              dirs.stepDir().resolve("checkout.log"),
              process -> step.process = process,
              spec.timeout());
    } catch (IOException e) {
      running.remove(request.jobName());
      FileUtil.removeDir(dirs.stepDir().toFile());
      throw new StepStartException("checking out the sources failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.remove(request.jobName());
      FileUtil.removeDir(dirs.stepDir().toFile());
      throw new IllegalStateException("Interrupted checking out " + request.jobName(), e);
    }
    if (outcome.succeeded() && !step.canceled.get() && !step.interrupted.get()) {
      return null;
    }
    running.remove(request.jobName());
    FileUtil.removeDir(dirs.stepDir().toFile());
    if (step.interrupted.get()) {
      throw interrupted(request);
    }
    StepStatus status;
    if (step.canceled.get()) {
      status = StepStatus.CANCELED;
    } else if (outcome.timedOut()) {
      status = StepStatus.TIMED_OUT;
    } else {
      status = StepStatus.FAILED;
    }
    StepOutput output = new StepOutput(spec.options().getMaxOutputBytes());
    byte[] said = outcome.output().getBytes(StandardCharsets.UTF_8);
    output.write(said, 0, said.length);
    return new StepResult(
        request.jobName(), status, outcome.exitCode(), output.text(), started, Instant.now());
  }

  private CompletableFuture<StepResult> start(StepRequest request, Dirs dirs, RunningStep step)
      throws IOException {
    StepSpec spec = request.spec();
    Path stepDir = dirs.stepDir();
    if (step.canceled.get()) {
      running.remove(request.jobName());
      FileUtil.removeDir(stepDir.toFile());
      Instant now = Instant.now();
      return CompletableFuture.completedFuture(
          new StepResult(request.jobName(), StepStatus.CANCELED, null, "", now, now));
    }

    Instant started;
    Process process;
    try {
      Map<String, String> environment = environment(request, dirs);
      started = Instant.now();
      orphans.starting(request.jobName());
      process = ProcessTree.startStep(commandLine(spec), environment, dirs.workDir());
    } catch (IOException | RuntimeException e) {
      orphans.ended(request.jobName());
      running.remove(request.jobName());
      FileUtil.removeDir(stepDir.toFile());
      throw e;
    }
    orphans.started(request.jobName(), process.pid());
    step.process = process;
    running.put(request.jobName(), step);
    if (step.canceled.get()) {
      // canceled between the checkout and now
      step.kill();
    }

    StepOutput output = new StepOutput(spec.options().getMaxOutputBytes());
    OutputWatch watch = new OutputWatch(process);
    ScheduledFuture<?> progress =
        timers.scheduleWithFixedDelay(
            () -> {
              progress(request, output);
              if (watch.heldOpenTooLong()) {
                ProcessTree.killGroup(process.pid());
                stepEnded(request.jobName());
              }
            },
            1,
            1,
            TimeUnit.SECONDS);
    ScheduledFuture<?> timeout =
        spec.timeout().isZero()
            ? null
            : timers.schedule(
                () -> {
                  step.timedOut.set(true);
                  ProcessTree.kill(process);
                  stepEnded(request.jobName());
                },
                spec.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
    CompletableFuture<StepResult> ended = new CompletableFuture<>();
    ioThreads.execute(
        () -> {
          // one thread reads the output to its end, then takes the exit status: the step ends on
          // the thread that saw the last of it, with no hand-off in between
          IOException readFailed = drain(process, output);
          watch.drained();
          int exitCode = ProcessTree.awaitExit(process);
          stepEnded(request.jobName());
          progress.cancel(false);
          if (timeout != null) {
            timeout.cancel(false);
          }
          running.remove(request.jobName());
          if (step.interrupted.get()) {
            ended.completeExceptionally(interrupted(request));
          } else if (readFailed != null) {
            ended.completeExceptionally(
                new IllegalStateException(
                    "Reading the output of " + request.jobName(), readFailed));
          } else {
            ended.complete(
                new StepResult(
                    request.jobName(),
                    statusOf(step, exitCode),
                    exitCode,
                    output.text(),
                    started,
                    Instant.now()));
          }
          // after the step has been handed on: nothing waits for its directory to go
          FileUtil.removeDir(stepDir.toFile());
        });
    feedInput(process, request.input());
    return ended;
  }

  /**
   * Whether a step's process exited while its output stays open (an orphan holds it): after {@link
   * #ORPHAN_GRACE_MILLIS} its group is killed, once. Asked once a second.
   */
  private static final class OutputWatch {
    private final Process process;
    private volatile boolean drained;
    private long exitSeenNanos;
    private boolean killed;

    OutputWatch(Process process) {
      this.process = process;
    }

    void drained() {
      drained = true;
    }

    synchronized boolean heldOpenTooLong() {
      if (drained || killed || process.isAlive()) {
        return false;
      }
      long now = System.nanoTime();
      if (exitSeenNanos == 0) {
        exitSeenNanos = now;
        return false;
      }
      killed = now - exitSeenNanos >= TimeUnit.MILLISECONDS.toNanos(ORPHAN_GRACE_MILLIS);
      return killed;
    }
  }

  /** The step's process has ended or was killed: what it left behind goes too, and is reaped. */
  private void stepEnded(String jobName) {
    orphans.ended(jobName);
    if (!orphans.claimSoonSweep()) {
      return;
    }
    try {
      timers.schedule(
          () -> {
            orphans.sweep();
            stepEnded(jobName);
          },
          ORPHAN_SWEEP_DELAY_MILLIS,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      orphans.soonSweepRejected();
      orphans.sweep();
    }
  }

  /** The step's process was killed because Caravan stops: no verdict, its run is resumed. */
  private static StepInterruptedException interrupted(StepRequest request) {
    return new StepInterruptedException(
        "Caravan stopped while step "
            + request.jobName()
            + " ran; its process was killed, and the step runs again when its run is resumed");
  }

  /** What failed before the step's process ran, as the reason the step could not start. */
  private static StepStartException notStarted(Throwable error) {
    if (error instanceof StepStartException notStarted) {
      return notStarted;
    }
    String message = error.getMessage() == null ? error.toString() : error.getMessage();
    return new StepStartException(message, error);
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
      return List.of("/bin/sh", "-c", spec.options().getScript());
    }
    List<String> line = new ArrayList<>(spec.command());
    line.addAll(spec.args());
    return line;
  }

  /** What a step (or its git) sees of Caravan's own environment. */
  private static Map<String, String> inheritedEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String name : INHERITED) {
      String value = System.getenv(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    return env;
  }

  private Map<String, String> environment(StepRequest request, Dirs dirs) throws IOException {
    Map<String, String> env = inheritedEnvironment();
    for (String secret : request.spec().envFromSecrets()) {
      env.putAll(readSecret(secret));
    }
    env.putAll(request.spec().env());
    env.putAll(request.caravanEnv());
    if (dirs.workspace() != null) {
      env.put("CARAVAN_WORKSPACE", dirs.workspace().toString());
    }
    if (request.eventJson() != null) {
      Path eventFile = dirs.stepDir().resolve("event.json");
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
        String key = file.getFileName().toString();
        String value = Files.readString(file, StandardCharsets.UTF_8);
        // named, never shown: the value is a secret
        if (key.indexOf('=') >= 0) {
          throw new StepStartException(
              "the key '" + key + "' of Secret '" + secret + "' is no environment variable name");
        }
        if (value.indexOf('\0') >= 0) {
          throw new StepStartException(
              "the key " + key + " of Secret '" + secret + "' holds a NUL character");
        }
        values.put(key, value);
      }
    }
    return values;
  }

  /** Hands the listener what the step printed since the last time, if anything. */
  private void progress(StepRequest request, StepOutput output) {
    String fresh = output.takeNew();
    if (fresh.isEmpty()) {
      return;
    }
    try {
      listener.output(request, fresh);
    } catch (RuntimeException e) {
      // a store that cannot take it now gets the whole output when the step ends
      LOG.warn("Could not record the output of {}: {}", request.jobName(), e.getMessage());
    }
  }

  /** Reads the output to its end; what failed reading it, if anything. */
  private static IOException drain(Process process, StepOutput output) {
    try {
      output.drain(process.getInputStream());
      return null;
    } catch (IOException e) {
      return e;
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

  /**
   * A step from its checkout (if any) to its end; {@code process} is what runs now, if anything.
   */
  private static final class RunningStep {
    volatile Process process;
    final AtomicBoolean timedOut = new AtomicBoolean();
    final AtomicBoolean canceled = new AtomicBoolean();
    final AtomicBoolean interrupted = new AtomicBoolean();

    void kill() {
      Process current = process;
      if (current != null) {
        ProcessTree.kill(current);
      }
    }
  }
}
