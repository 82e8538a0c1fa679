package dev.caravan.kjob;

import dev.caravan.kjob.kubernetes.KubernetesStepExecutor;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;

/**
 * What {@link StepExecutors} starts its executors and pools with: the kjob component's options.
 *
 * @param kubernetesClient the client of the Kubernetes executor, or {@code null} to build one from
 *     the cluster configuration
 * @param clusterDetector where {@code auto} looks for a cluster configuration
 * @param namespace namespace of Jobs whose step names none, or {@code null} for the client's
 * @param helperImage image of the init container that writes the event and input files
 * @param gitImage image of the checkout init container
 * @param workspaceClaim how the claims of run workspaces look
 * @param apiThreads threads for Kubernetes API calls
 * @param localWorkDir parent of the local executor's step directories and run workspaces
 * @param localSecretsDir the local Secrets, one directory per Secret
 * @param localListener hears the pids and progress of local steps
 * @param continuationThreads threads that continue exchanges after their steps end
 */
record ExecutorSettings(
    KubernetesClient kubernetesClient,
    ClusterDetector clusterDetector,
    String namespace,
    String helperImage,
    String gitImage,
    KubernetesStepExecutor.WorkspaceClaim workspaceClaim,
    int apiThreads,
    Path localWorkDir,
    Path localSecretsDir,
    StepListener localListener,
    int continuationThreads) {

  static final int DEFAULT_API_THREADS = 4;
  static final int DEFAULT_CONTINUATION_THREADS = 4;
  static final String DEFAULT_HELPER_IMAGE = "busybox:1.36";

  /** The component's defaults, for a context whose kjob component has not configured any. */
  static ExecutorSettings defaults() {
    return new ExecutorSettings(
        null,
        ClusterDetector.ofThisProcess(),
        null,
        DEFAULT_HELPER_IMAGE,
        KubernetesStepExecutor.DEFAULT_GIT_IMAGE,
        KubernetesStepExecutor.WorkspaceClaim.DEFAULT,
        DEFAULT_API_THREADS,
        defaultLocalWorkDir(),
        defaultLocalSecretsDir(),
        StepListener.NONE,
        DEFAULT_CONTINUATION_THREADS);
  }

  static Path defaultLocalWorkDir() {
    return Path.of(System.getProperty("java.io.tmpdir"), "caravan");
  }

  static Path defaultLocalSecretsDir() {
    return Path.of(System.getProperty("user.home"), ".caravan", "secrets");
  }
}
