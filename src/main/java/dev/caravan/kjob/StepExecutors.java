package dev.caravan.kjob;

import dev.caravan.kjob.kubernetes.KubernetesStepExecutor;
import dev.caravan.kjob.local.LocalStepExecutor;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The step executors of a CamelContext, as one Camel service: the local and the Kubernetes executor
 * (each started on first use, closed when the service stops), their pools, the pool that continues
 * exchanges after their steps end, and the choice {@code auto} makes. The kjob component adds it to
 * the context and passes its options on; other code finds it with {@link #of(CamelContext)} to
 * cancel steps, delete run workspaces or ask the Kubernetes executor's health.
 */
public final class StepExecutors extends ServiceSupport {

  private static final Logger LOG = LoggerFactory.getLogger(StepExecutors.class);

  /** Continuations waiting for a thread; beyond it one runs on the thread that ended the step. */
  static final int CONTINUATION_QUEUE = 1000;

  static final String CONTINUATION_POOL = "kjob-continue";

  /** How long a stop waits for the local steps it killed to end. */
  private static final Duration LOCAL_STOP_GRACE = Duration.ofSeconds(5);

  private static final Object CREATION = new Object();

  private final CamelContext camel;
  private Supplier<ExecutorSettings> settings = ExecutorSettings::defaults;
  private ExecutorType resolvedAuto;
  private LocalStepExecutor local;
  private KubernetesStepExecutor kubernetes;
  private KubernetesClient ownedClient;
  private ExecutorService kubernetesApiThreads;
  private ExecutorService localIoThreads;
  private ScheduledExecutorService localTimers;
  private ExecutorService continuations;

  private StepExecutors(CamelContext camel) {
    this.camel = camel;
  }

  /** The context's step executors: the one added to it, else a new one, added now. */
  public static StepExecutors of(CamelContext context) {
    synchronized (CREATION) {
      StepExecutors found = context.hasService(StepExecutors.class);
      if (found == null) {
        found = new StepExecutors(context);
        try {
          context.addService(found, true, false);
        } catch (Exception e) {
          throw RuntimeCamelException.wrapRuntimeCamelException(e);
        }
      }
      return found;
    }
  }

  /**
   * Where the options come from (the kjob component); read whenever an executor or pool starts and
   * when {@code auto} is resolved, so executors already running keep theirs.
   */
  synchronized void configure(Supplier<ExecutorSettings> source) {
    this.settings = source;
  }

  /** Resolves {@code auto} once and says what it chose; other types stay as they are. */
  public synchronized ExecutorType resolve(ExecutorType type) {
    if (type != ExecutorType.AUTO) {
      return type;
    }
    if (resolvedAuto == null) {
      ExecutorSettings current = settings.get();
      String found =
          current.kubernetesClient() != null
              ? "a configured KubernetesClient"
              : current.clusterDetector().findConfiguration();
      resolvedAuto = found == null ? ExecutorType.LOCAL : ExecutorType.KUBERNETES;
      LOG.info(
          "kjob executor=auto chose {} ({})",
          resolvedAuto.optionValue(),
          found == null ? "no in-cluster service account or kubeconfig found" : found);
    }
    return resolvedAuto;
  }

  /** The executor of the type ({@code auto} resolved), started if need be. */
  public synchronized StepExecutor executorFor(ExecutorType type) {
    return switch (resolve(type)) {
      case LOCAL -> local();
      case KUBERNETES -> kubernetes();
      case AUTO -> throw new IllegalStateException("auto was resolved above");
    };
  }

  /** The local executor (started on first use). */
  public synchronized LocalStepExecutor local() {
    if (local == null) {
      requireRunning();
      ExecutorSettings current = settings.get();
      ExecutorServiceManager threads = camel.getExecutorServiceManager();
      localIoThreads = threads.newCachedThreadPool(this, "kjob-local-io");
      localTimers = threads.newScheduledThreadPool(this, "kjob-local-timer", 1);
      local =
          new LocalStepExecutor(
              localIoThreads,
              localTimers,
              current.localWorkDir(),
              current.localSecretsDir(),
              current.localListener());
    }
    return local;
  }

  /** The Kubernetes executor (started on first use). */
  public synchronized KubernetesStepExecutor kubernetes() {
    if (kubernetes == null) {
      requireRunning();
      ExecutorSettings current = settings.get();
      KubernetesClient client = current.kubernetesClient();
      if (client == null) {
        ownedClient = new KubernetesClientBuilder().build();
        client = ownedClient;
      }
      String namespace = current.namespace();
      if (namespace == null) {
        namespace = client.getNamespace() == null ? "default" : client.getNamespace();
      }
      kubernetesApiThreads =
          camel
              .getExecutorServiceManager()
              .newFixedThreadPool(this, "kjob-kubernetes", current.apiThreads());
      kubernetes =
          new KubernetesStepExecutor(
              client,
              kubernetesApiThreads,
              namespace,
              current.helperImage(),
              current.gitImage(),
              current.workspaceClaim());
    }
    return kubernetes;
  }

  /** The Kubernetes executor if a step has used it, else {@code null} (for health checks). */
  public synchronized KubernetesStepExecutor startedKubernetesExecutor() {
    return kubernetes;
  }

  /**
   * Stops a running step by its record: kills the local process tree (a step of this Caravan) or
   * deletes the Kubernetes Job with its pods; the step then ends as CANCELED.
   */
  public void cancel(StepRecord step) {
    if (step.executorType() == ExecutorType.KUBERNETES) {
      kubernetes().cancel(step.namespace(), step.jobName());
      return;
    }
    LocalStepExecutor running;
    synchronized (this) {
      running = local;
    }
    if (running != null) {
      running.cancel(step.jobName());
    }
  }

  /**
   * Deletes the run's workspace: the local directory, and the PersistentVolumeClaims the Kubernetes
   * executor of this Caravan created or used for the run (deleted in the background; Kubernetes
   * keeps a claim until no pod uses it). The event component calls this when a run ends; a route
   * that runs steps outside the event component calls it itself. Costs no API request for a run
   * without a workspace.
   *
   * @return completes when the deletions were accepted
   */
  public CompletableFuture<Void> deleteWorkspace(String runId) {
    KubernetesStepExecutor started;
    synchronized (this) {
      LocalStepExecutor.deleteWorkspace(settings.get().localWorkDir(), runId);
      started = kubernetes;
    }
    return started == null
        ? CompletableFuture.completedFuture(null)
        : started.deleteWorkspaces(runId);
  }

  /**
   * The named, bounded pool ({@value #CONTINUATION_POOL}) on which exchanges continue after their
   * steps end, instead of on the threads of fabric8 or of process exits.
   */
  synchronized ExecutorService continuations() {
    if (continuations == null) {
      requireRunning();
      int size = settings.get().continuationThreads();
      ThreadPoolProfile profile = new ThreadPoolProfile(CONTINUATION_POOL);
      profile.setPoolSize(size);
      profile.setMaxPoolSize(size);
      profile.setMaxQueueSize(CONTINUATION_QUEUE);
      profile.setRejectedPolicy(ThreadPoolRejectedPolicy.Abort);
      continuations =
          camel.getExecutorServiceManager().newThreadPool(this, CONTINUATION_POOL, profile);
    }
    return continuations;
  }

  /** The killed local steps end within moments; their exchanges continue before the pools go. */
  private static void awaitHandOvers(LocalStepExecutor stopped) {
    try {
      if (!stopped.awaitHandOvers(LOCAL_STOP_GRACE)) {
        LOG.warn("Local steps killed at stop had not ended after {}", LOCAL_STOP_GRACE);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void requireRunning() {
    if (isStoppingOrStopped()) {
      throw new IllegalStateException("kjob's step executors are stopped: Camel is stopping");
    }
  }

  /**
   * Closes the executors (a running local step is killed, a Kubernetes step left to its Job: both
   * end as {@link StepInterruptedException}, their runs to be resumed), waits a moment for the
   * killed local steps to end, then shuts the pools down. An exchange whose continuation the
   * stopped pool refuses ends with that refusal (see {@link KjobProducer}).
   */
  @Override
  protected synchronized void doStop() {
    if (kubernetes != null) {
      kubernetes.close();
      kubernetes = null;
    }
    if (local != null) {
      local.close();
      awaitHandOvers(local);
      local = null;
    }
    ExecutorServiceManager threads = camel.getExecutorServiceManager();
    for (ExecutorService pool :
        new ExecutorService[] {kubernetesApiThreads, localIoThreads, localTimers, continuations}) {
      if (pool != null) {
        threads.shutdown(pool);
      }
    }
    kubernetesApiThreads = null;
    localIoThreads = null;
    localTimers = null;
    continuations = null;
    if (ownedClient != null) {
      ownedClient.close();
      ownedClient = null;
    }
    resolvedAuto = null;
  }
}
