package dev.caravan.kjob;

import dev.caravan.kjob.kubernetes.KubernetesStepExecutor;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.util.PropertiesHelper;

/**
 * Runs pipeline steps as Kubernetes Jobs, or as local processes on the embedded default. Holds the
 * component's options and hands those of the executors to the context's {@link StepExecutors}.
 */
@Component("kjob")
public class KjobComponent extends DefaultComponent {

  private static final UnknownOptions UNKNOWN_OPTIONS = UnknownOptions.ofEndpoint();

  /**
   * Kubernetes client for the Kubernetes executor. Defaults to the single KubernetesClient in the
   * registry (the one camel-kubernetes autowires), else one built from the cluster configuration.
   */
  @Metadata(autowired = true, label = "kubernetes")
  private KubernetesClient kubernetesClient;

  /**
   * Executor of endpoints that set none: auto (Kubernetes when an in-cluster service account or a
   * kubeconfig is present, else local), kubernetes or local. The Spring Boot app sets local.
   */
  @Metadata(defaultValue = "auto", enums = "auto,kubernetes,local")
  private String executor = "auto";

  /** Namespace of Jobs whose endpoint sets none; defaults to the client's, else default. */
  @Metadata(label = "kubernetes")
  private String namespace;

  /** Image with sh and base64 whose init container writes the event and standard input files. */
  @Metadata(label = "kubernetes", defaultValue = ExecutorSettings.DEFAULT_HELPER_IMAGE)
  private String helperImage = ExecutorSettings.DEFAULT_HELPER_IMAGE;

  /** Image with sh and git whose init container caravan-checkout checks out sources. */
  @Metadata(label = "kubernetes", defaultValue = KubernetesStepExecutor.DEFAULT_GIT_IMAGE)
  private String gitImage = KubernetesStepExecutor.DEFAULT_GIT_IMAGE;

  /**
   * Storage class of the PersistentVolumeClaim of a run's workspace (workspace=true); unset for the
   * cluster's default class. Parallel steps on several nodes need one that offers ReadWriteMany
   * (NFS, CephFS, EFS, Azure Files, Filestore, ...).
   */
  @Metadata(label = "kubernetes")
  private String workspaceStorageClass;

  /**
   * Access mode of a workspace claim: ReadWriteMany (parallel steps on any node), ReadWriteOnce
   * (the steps of a run must land on one node) or ReadWriteOncePod (one step at a time).
   */
  @Metadata(
      label = "kubernetes",
      defaultValue = "ReadWriteMany",
      enums = "ReadWriteMany,ReadWriteOnce,ReadWriteOncePod")
  private String workspaceAccessMode = "ReadWriteMany";

  /** Requested storage of a workspace claim, a Kubernetes quantity. */
  @Metadata(label = "kubernetes", defaultValue = "1Gi")
  private String workspaceSize = "1Gi";

  /**
   * Threads for Kubernetes API calls (create, pod list), shared by all steps; the log read streams
   * without one.
   */
  @Metadata(label = "kubernetes", defaultValue = "4")
  private int apiThreads = ExecutorSettings.DEFAULT_API_THREADS;

  /**
   * Threads on which exchanges continue after their steps end (pool kjob-continue, shared by all
   * steps), so that the rest of a pipeline never runs on a thread of the Kubernetes client or of a
   * process exit. Raise it when pipelines make long blocking calls between steps. Up to 1000
   * continuations wait for a thread; beyond that one runs on the thread that saw its step end.
   */
  @Metadata(label = "advanced", defaultValue = "4")
  private int continuationThreads = ExecutorSettings.DEFAULT_CONTINUATION_THREADS;

  /** Directory of local Secrets: one sub-directory per Secret, one file per key. */
  @Metadata(label = "local", defaultValue = "${user.home}/.caravan/secrets")
  private String localSecretsDir;

  /**
   * Parent directory of the local executor's per-step directories and of run workspaces (in
   * workspaces/).
   */
  @Metadata(label = "local", defaultValue = "${java.io.tmpdir}/caravan")
  private String localWorkDir;

  /**
   * Hosts whose repositories checkout=true may clone over https or SSH, comma-separated: exact
   * names; a name prefixed with a star and a dot for all of its subdomains (not the name itself); a
   * lone star for any host; empty allows none. Refused before any process or Job starts.
   */
  @Metadata(label = "source", defaultValue = CheckoutPolicy.DEFAULT_HOSTS)
  private String checkoutAllowedHosts = CheckoutPolicy.DEFAULT_HOSTS;

  /**
   * Transports checkout=true may use, comma-separated: https, ssh (ssh:// with or without a git
   * prefix, and the scp-like host:path), http (plain, unencrypted), file (local paths and file://,
   * for tests and trusted setups). ext::, fd::, other transport:: helpers, git:// and every other
   * transport are always refused; another value fails the component's start.
   */
  @Metadata(label = "source", defaultValue = CheckoutPolicy.DEFAULT_SCHEMES)
  private String checkoutAllowedSchemes = CheckoutPolicy.DEFAULT_SCHEMES;

  /**
   * Whether checkout=true may clone from hosts that resolve to loopback, link-local (cloud
   * metadata), private (site-local), unique-local, unspecified or other internal addresses. When
   * false, every address of the host must be public, and a host that does not resolve is refused.
   */
  @Metadata(label = "source", defaultValue = "false")
  private boolean checkoutAllowPrivateAddresses;

  /**
   * Records steps of runs (resume, replay, stored logs). Defaults to the single StepJournal in the
   * registry; exchanges whose CaravanRunId is not a recorded run are not recorded.
   */
  @Metadata(autowired = true, label = "advanced")
  private StepJournal journal;

  private ClusterDetector clusterDetector = ClusterDetector.ofThisProcess();
  private volatile CheckoutPolicy checkoutPolicy;
  private volatile StepExecutors executors;

  @Override
  protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters)
      throws Exception {
    KjobConfiguration configuration = new KjobConfiguration();
    configuration.setStepName(remaining);
    configuration.setEnv(toStrings(PropertiesHelper.extractProperties(parameters, "env.")));
    configuration.setNodeSelector(
        toStrings(PropertiesHelper.extractProperties(parameters, "nodeSelector.")));
    UNKNOWN_OPTIONS.check(parameters);
    KjobEndpoint endpoint = new KjobEndpoint(uri, this, configuration);
    // the generated KjobEndpointConfigurer binds the options
    setProperties(endpoint, parameters);
    return endpoint;
  }

  /** The context's step executors, given this component's options (once). */
  public StepExecutors executors() {
    StepExecutors cached = executors;
    if (cached != null && !cached.isStoppingOrStopped()) {
      return cached;
    }
    StepExecutors found = StepExecutors.of(getCamelContext());
    if (found != executors) {
      found.configure(this::executorSettings);
      executors = found;
    }
    return found;
  }

  private ExecutorSettings executorSettings() {
    KubernetesClient client = kubernetesClient;
    if (client == null) {
      client = CamelContextHelper.findSingleByType(getCamelContext(), KubernetesClient.class);
    }
    return new ExecutorSettings(
        client,
        clusterDetector,
        namespace,
        helperImage,
        gitImage,
        new KubernetesStepExecutor.WorkspaceClaim(
            blankToNull(workspaceStorageClass), workspaceAccessMode, workspaceSize),
        apiThreads,
        localWorkDir == null || localWorkDir.isBlank()
            ? ExecutorSettings.defaultLocalWorkDir()
            : Path.of(localWorkDir),
        localSecretsDir == null || localSecretsDir.isBlank()
            ? ExecutorSettings.defaultLocalSecretsDir()
            : Path.of(localSecretsDir),
        new JournalListener(),
        continuationThreads);
  }

  /** What checkout=true may clone (from the options as they were when the component started). */
  CheckoutPolicy checkoutPolicy() {
    CheckoutPolicy policy = checkoutPolicy;
    return policy != null
        ? policy
        : CheckoutPolicy.of(
            checkoutAllowedHosts, checkoutAllowedSchemes, checkoutAllowPrivateAddresses);
  }

  /**
   * The journal: the configured one, else the single one in the registry (bound by the event
   * component when it starts, which may be after this component), else none.
   */
  public synchronized StepJournal journal() {
    if (journal == null) {
      StepJournal found = CamelContextHelper.findSingleByType(getCamelContext(), StepJournal.class);
      if (found == null) {
        return StepJournal.NONE;
      }
      journal = found;
    }
    return journal;
  }

  public StepJournal getJournal() {
    return journal;
  }

  public void setJournal(StepJournal journal) {
    this.journal = journal;
  }

  /** Passes what the local executor learns on to the journal. */
  private final class JournalListener implements StepListener {
    @Override
    public void output(StepRequest request, String newOutput) {
      journal().output(request, newOutput);
    }
  }

  @Override
  protected void doInit() throws Exception {
    super.doInit();
    executors();
  }

  @Override
  protected void doStart() throws Exception {
    super.doStart();
    ExecutorType.parse(executor, "executor");
    validateExecutorOptions();
    checkoutPolicy =
        CheckoutPolicy.of(
            checkoutAllowedHosts, checkoutAllowedSchemes, checkoutAllowPrivateAddresses);
    executors();
  }

  private void validateExecutorOptions() {
    if (!Set.of("ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
        .contains(workspaceAccessMode)) {
      throw new IllegalArgumentException(
          "Invalid kjob component option workspaceAccessMode="
              + workspaceAccessMode
              + ": expected ReadWriteMany, ReadWriteOnce or ReadWriteOncePod");
    }
    try {
      if (Quantity.getAmountInBytes(new Quantity(workspaceSize)).signum() <= 0) {
        throw new IllegalArgumentException("not positive");
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Invalid kjob component option workspaceSize="
              + workspaceSize
              + ": expected a positive Kubernetes quantity such as 1Gi");
    }
    if (gitImage == null || gitImage.isBlank()) {
      throw new IllegalArgumentException("The kjob component option gitImage must not be empty");
    }
    if (apiThreads <= 0 || continuationThreads <= 0) {
      throw new IllegalArgumentException(
          "The kjob component options apiThreads and continuationThreads must be positive");
    }
  }

  private static Map<String, String> toStrings(Map<String, Object> values) {
    Map<String, String> strings = new LinkedHashMap<>();
    values.forEach((key, value) -> strings.put(key, value == null ? "" : value.toString()));
    return strings;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  public KubernetesClient getKubernetesClient() {
    return kubernetesClient;
  }

  public void setKubernetesClient(KubernetesClient kubernetesClient) {
    this.kubernetesClient = kubernetesClient;
  }

  public String getExecutor() {
    return executor;
  }

  public void setExecutor(String executor) {
    this.executor = executor;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  public String getHelperImage() {
    return helperImage;
  }

  public void setHelperImage(String helperImage) {
    this.helperImage = helperImage;
  }

  public String getGitImage() {
    return gitImage;
  }

  public void setGitImage(String gitImage) {
    this.gitImage = gitImage;
  }

  public String getWorkspaceStorageClass() {
    return workspaceStorageClass;
  }

  public void setWorkspaceStorageClass(String workspaceStorageClass) {
    this.workspaceStorageClass = workspaceStorageClass;
  }

  public String getWorkspaceAccessMode() {
    return workspaceAccessMode;
  }

  public void setWorkspaceAccessMode(String workspaceAccessMode) {
    this.workspaceAccessMode = workspaceAccessMode;
  }

  public String getWorkspaceSize() {
    return workspaceSize;
  }

  public void setWorkspaceSize(String workspaceSize) {
    this.workspaceSize = workspaceSize;
  }

  public int getApiThreads() {
    return apiThreads;
  }

  public void setApiThreads(int apiThreads) {
    this.apiThreads = apiThreads;
  }

  public int getContinuationThreads() {
    return continuationThreads;
  }

  public void setContinuationThreads(int continuationThreads) {
    this.continuationThreads = continuationThreads;
  }

  public String getLocalSecretsDir() {
    return localSecretsDir;
  }

  public void setLocalSecretsDir(String localSecretsDir) {
    this.localSecretsDir = localSecretsDir;
  }

  public String getLocalWorkDir() {
    return localWorkDir;
  }

  public void setLocalWorkDir(String localWorkDir) {
    this.localWorkDir = localWorkDir;
  }

  public String getCheckoutAllowedHosts() {
    return checkoutAllowedHosts;
  }

  public void setCheckoutAllowedHosts(String checkoutAllowedHosts) {
    this.checkoutAllowedHosts = checkoutAllowedHosts;
  }

  public String getCheckoutAllowedSchemes() {
    return checkoutAllowedSchemes;
  }

  public void setCheckoutAllowedSchemes(String checkoutAllowedSchemes) {
    this.checkoutAllowedSchemes = checkoutAllowedSchemes;
  }

  public boolean isCheckoutAllowPrivateAddresses() {
    return checkoutAllowPrivateAddresses;
  }

  public void setCheckoutAllowPrivateAddresses(boolean checkoutAllowPrivateAddresses) {
    this.checkoutAllowPrivateAddresses = checkoutAllowPrivateAddresses;
  }

  /** For tests: where {@code auto} looks for a cluster configuration. */
  public void setClusterDetector(ClusterDetector clusterDetector) {
    this.clusterDetector = clusterDetector;
  }
}
