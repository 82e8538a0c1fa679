package dev.caravan.kjob.kubernetes;

import dev.caravan.kjob.StepInterruptedException;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shared informer per namespace over Caravan's Jobs: completes the future of a Job when it
 * finishes or disappears. fabric8's informer re-lists and re-watches by itself after a closed watch
 * or HTTP 410, so no Job end is missed.
 */
final class JobWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(JobWatcher.class);

  private final KubernetesClient client;
  private final Executor completions;
  private final Map<String, SharedIndexInformer<Job>> informers = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Job>> waiting = new ConcurrentHashMap<>();

  /**
   * @param completions runs what follows a Job's end, off the informer's IO thread
   */
  JobWatcher(KubernetesClient client, Executor completions) {
    this.client = client;
    this.completions = completions;
  }

  /** Starts watching the namespace (once) and waits for the initial list. */
  void watch(String namespace) {
    informers.computeIfAbsent(namespace, this::startInformer);
  }

  /** The Job as last seen by the informer, or {@code null}. */
  Job cached(String namespace, String name) {
    return informers.get(namespace).getStore().getByKey(key(namespace, name));
  }

  /**
   * Completes with the Job once it has finished, or with its last state when it was deleted before
   * it finished.
   */
  CompletableFuture<Job> awaitEnd(String namespace, String name) {
    String key = key(namespace, name);
    CompletableFuture<Job> end = waiting.computeIfAbsent(key, k -> new CompletableFuture<>());
    // the informer updates its store before it calls handlers, so a Job that ended before we
    // registered is in the store now
    Job current = cached(namespace, name);
    if (current != null && hasFinished(current)) {
      release(key, current);
    }
    return end;
  }

  boolean isWatching() {
    return informers.values().stream().allMatch(SharedIndexInformer::isWatching);
  }

  /**
   * Stops watching. Steps still waiting fail at once ({@link StepInterruptedException}) instead of
   * hanging until Camel's shutdown timeout; their Jobs keep running and are re-attached when the
   * run is executed again.
   */
  @Override
  public void close() {
    informers.values().forEach(SharedIndexInformer::close);
    informers.clear();
    waiting
        .keySet()
        .forEach(
            key -> {
              CompletableFuture<Job> end = waiting.remove(key);
              if (end != null) {
                end.completeExceptionally(interrupted(key));
              }
            });
  }

  static boolean hasFinished(Job job) {
    JobStatus status = job.getStatus();
    if (status == null) {
      return false;
    }
    if (status.getConditions() != null) {
      for (JobCondition condition : status.getConditions()) {
        if (("Complete".equals(condition.getType()) || "Failed".equals(condition.getType()))
            && "True".equals(condition.getStatus())) {
          return true;
        }
      }
    }
    return positive(status.getSucceeded()) || positive(status.getFailed());
  }

  private static boolean positive(Integer count) {
    return count != null && count > 0;
  }

  private SharedIndexInformer<Job> startInformer(String namespace) {
    LOG.info("Watching Caravan's Jobs in namespace {}", namespace);
    return client
        .batch()
        .v1()
        .jobs()
        .inNamespace(namespace)
        .withLabel(JobLabels.MANAGED_BY, JobLabels.MANAGED_BY_VALUE)
        .inform(new Handler(), 0);
  }

  private void release(String key, Job job) {
    CompletableFuture<Job> end = waiting.remove(key);
    if (end != null) {
      try {
        completions.execute(() -> end.complete(job));
      } catch (RejectedExecutionException stopping) {
        end.completeExceptionally(interrupted(key));
      }
    }
  }

  private static StepInterruptedException interrupted(String key) {
    return new StepInterruptedException(
        "Caravan stopped while waiting for Job " + key + "; the Job keeps running");
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  private final class Handler implements ResourceEventHandler<Job> {
    @Override
    public void onAdd(Job job) {
      onChange(job);
    }

    @Override
    public void onUpdate(Job oldJob, Job newJob) {
      onChange(newJob);
    }

    @Override
    public void onDelete(Job job, boolean finalStateUnknown) {
      release(key(job.getMetadata().getNamespace(), job.getMetadata().getName()), job);
    }

    private void onChange(Job job) {
      if (hasFinished(job)) {
        release(key(job.getMetadata().getNamespace(), job.getMetadata().getName()), job);
      }
    }
  }
}
