package dev.caravan.kjob;

import dev.caravan.kjob.kubernetes.KubernetesStepExecutor;
import dev.caravan.kjob.local.LocalStepExecutor;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.util.PropertiesHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs pipeline steps as Kubernetes Jobs, or as local processes on the embedded default. */
@Component("kjob")
public class KjobComponent extends DefaultComponent {

  private static final Logger LOG = LoggerFactory.getLogger(KjobComponent.class);

  /**
   * Kubernetes client for the Kubernetes executor. Defaults to the single KubernetesClient in the
   * registry (the one camel-kubernetes autowires), else one built from the cluster configuration.
   */
  @Metadata(autowired = true, label = "kubernetes")
  private KubernetesClient kubernetesClient;

  /** Executor of endpoints that set none: auto, kubernetes or local. */
  @Metadata(defaultValue = "auto", enums = "auto,kubernetes,local")
  private String executor = "auto";

  /** Namespace of Jobs whose endpoint sets none; defaults to the client's namespace. */
  @Metadata(label = "kubernetes")
  private String namespace;

  /** Image with sh and base64 whose init container writes the event and stdin files. */
  @Metadata(label = "kubernetes", defaultValue = "busybox:1.36")
  private String helperImage = "busybox:1.36";

  /** Image with sh and git whose init container checks out sources (checkout=true). */
  @Metadata(label = "kubernetes", defaultValue = KubernetesStepExecutor.DEFAULT_GIT_IMAGE)
  private String gitImage = KubernetesStepExecutor.DEFAULT_GIT_IMAGE;

  /**
   * Storage class of the PersistentVolumeClaim of a run's workspace (workspace=true); unset for the
   * cluster's default class. Parallel steps on several nodes need one that offers ReadWriteMany.
   */
  @Metadata(label = "kubernetes")
  private String workspaceStorageClass;

  /**
   * Access mode of a workspace claim: ReadWriteMany (parallel steps on any node), ReadWriteOnce
   * (steps must share a node) or ReadWriteOncePod (one step at a time).
   */
  @Metadata(
      label = "kubernetes",
      defaultValue = "ReadWriteMany",
      enums = "ReadWriteMany,ReadWriteOnce,ReadWriteOncePod")
  private String workspaceAccessMode = "ReadWriteMany";

  /** Requested size of a workspace claim, a Kubernetes quantity. */
  @Metadata(label = "kubernetes", defaultValue = "1Gi")
  private String workspaceSize = "1Gi";

  /**
   * Threads for Kubernetes API calls (create, pod list), shared by all steps; the log read streams
   * without one.
   */
  @Metadata(label = "kubernetes", defaultValue = "4")
  private int apiThreads = 4;

  /** Directory of local Secrets: one sub-directory per Secret, one file per key. */
  @Metadata(label = "local", defaultValue = "${user.home}/.caravan/secrets")
  private String localSecretsDir;

  /** Parent directory of the local executor's per-step directories. */
  @Metadata(label = "local", defaultValue = "${java.io.tmpdir}/caravan")
  private String localWorkDir;

  /**
   * Hosts whose repositories checkout=true may clone over https or SSH, comma-separated: exact
   * names, {@code *.example.com} for its subdomains, {@code *} for any host. Refused before any
   * process or Job starts.
   */
  @Metadata(label = "source", defaultValue = CheckoutPolicy.DEFAULT_HOSTS)
  private String checkoutAllowedHosts = CheckoutPolicy.DEFAULT_HOSTS;

  /**
   * Transports checkout=true may use, comma-separated: https, ssh (ssh:// and scp-like
   * git@host:path), http (plain, unencrypted), file (local paths and file://, for tests and trusted
   * setups). ext::, fd::, git:// and every other transport are always refused.
   */
  @Metadata(label = "source", defaultValue = CheckoutPolicy.DEFAULT_SCHEMES)
  private String checkoutAllowedSchemes = CheckoutPolicy.DEFAULT_SCHEMES;

  /**
   * Whether checkout=true may clone from hosts that resolve to loopback, link-local, private
   * (site-local), unique-local or unspecified addresses (internal services, cloud metadata). When
   * false, the host must resolve.
   */
  @Metadata(label = "source", defaultValue = "false")
  private boolean checkoutAllowPrivateAddresses;

  /** Records steps of runs (resume, replay, stored logs). Defaults to the one in the registry. */
  @Metadata(autowired = true, label = "advanced")
  private StepJournal journal;

  private ClusterDetector clusterDetector = ClusterDetector.ofThisProcess();
  private volatile CheckoutPolicy checkoutPolicy;
  private ExecutorType resolvedAuto;
  private LocalStepExecutor localExecutor;
  private KubernetesStepExecutor kubernetesExecutor;
  private KubernetesClient ownedClient;
  private ExecutorService kubernetesApiThreads;
  private ExecutorService localIoThreads;
  private ScheduledExecutorService localTimers;

  @Override
  protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters)
      throws Exception {
    KjobConfiguration configuration = new KjobConfiguration();
    configuration.setStepName(remaining);
    configuration.setEnv(toStrings(PropertiesHelper.extractProperties(parameters, "env.")));
    configuration.setNodeSelector(
        toStrings(PropertiesHelper.extractProperties(parameters, "nodeSelector.")));
    // no generated configurer: bind options onto the configuration, then what is left (such as
    // lazyStartProducer) onto the endpoint; anything still left is reported as unknown
    setProperties(configuration, parameters);
    KjobEndpoint endpoint = new KjobEndpoint(uri, this, configuration);
    setProperties(endpoint, parameters);
    return endpoint;
  }

  /** Resolves {@code auto} once per component and says what it chose. */
  synchronized ExecutorType resolve(ExecutorType type) {
    if (type != ExecutorType.AUTO) {
      return type;
    }
    if (resolvedAuto == null) {
      String found = kubernetesClient != null ? "a configured KubernetesClient" : null;
      if (found == null) {
        found = clusterDetector.findConfiguration();
      }
      resolvedAuto = found == null ? ExecutorType.LOCAL : ExecutorType.KUBERNETES;
      LOG.info(
          "kjob executor=auto chose {} ({})",
          resolvedAuto.name().toLowerCase(java.util.Locale.ROOT),
          found == null ? "no in-cluster service account or kubeconfig found" : found);
    }
    return resolvedAuto;
  }

  synchronized StepExecutor executorFor(ExecutorType type) {
    return switch (resolve(type)) {
      case LOCAL -> localExecutor();
      case KUBERNETES -> kubernetesExecutor();
      case AUTO -> throw new IllegalStateException("auto was resolved above");
    };
  }

  /** The local executor (started on first use). */
  public synchronized LocalStepExecutor localExecutor() {
    if (localExecutor == null) {
      var threads = getCamelContext().getExecutorServiceManager();
      localIoThreads = threads.newCachedThreadPool(this, "kjob-local-io");
      localTimers = threads.newScheduledThreadPool(this, "kjob-local-timer", 1);
      localExecutor =
          new LocalStepExecutor(
              localIoThreads,
              localTimers,
              localWorkRoot(),
              Path.of(
                  orDefault(
                      localSecretsDir, System.getProperty("user.home") + "/.caravan/secrets")),
              new JournalListener());
    }
    return localExecutor;
  }

  private Path localWorkRoot() {
    return Path.of(orDefault(localWorkDir, System.getProperty("java.io.tmpdir") + "/caravan"));
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
    LocalStepExecutor.deleteWorkspace(localWorkRoot(), runId);
    KubernetesStepExecutor kubernetes;
    synchronized (this) {
      kubernetes = kubernetesExecutor;
    }
    return kubernetes == null
        ? CompletableFuture.completedFuture(null)
        : kubernetes.deleteWorkspaces(runId);
  }

  /** The Kubernetes executor if a step has used it, else {@code null} (for health checks). */
  public synchronized KubernetesStepExecutor startedKubernetesExecutor() {
    return kubernetesExecutor;
  }

  /** The Kubernetes executor (started on first use). */
  public synchronized KubernetesStepExecutor kubernetesExecutor() {
    if (kubernetesExecutor == null) {
      KubernetesClient client = kubernetesClient;
      if (client == null) {
        ownedClient = new KubernetesClientBuilder().build();
        client = ownedClient;
      }
      String ns = namespace;
      if (ns == null) {
        ns = client.getNamespace() == null ? "default" : client.getNamespace();
      }
      kubernetesApiThreads =
          getCamelContext()
              .getExecutorServiceManager()
              .newFixedThreadPool(this, "kjob-kubernetes", apiThreads);
      kubernetesExecutor =
          new KubernetesStepExecutor(
              client,
              kubernetesApiThreads,
              ns,
              helperImage,
              gitImage,
              new KubernetesStepExecutor.WorkspaceClaim(
                  workspaceStorageClass, workspaceAccessMode, workspaceSize));
    }
    return kubernetesExecutor;
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

  public void setJournal(StepJournal journal) {
    this.journal = journal;
  }

  /** Passes what the local executor learns on to the journal. */
  private final class JournalListener implements StepListener {
    @Override
    public void started(StepRequest request, long pid) {
      journal().started(request, "local", null, pid);
    }

    @Override
    public void output(StepRequest request, String newOutput) {
      journal().output(request, newOutput);
    }
  }

  @Override
  protected void doStart() throws Exception {
    super.doStart();
    ExecutorType.parse(executor, "executor");
    validateWorkspaceOptions();
    checkoutPolicy =
        CheckoutPolicy.of(
            checkoutAllowedHosts, checkoutAllowedSchemes, checkoutAllowPrivateAddresses);
    if (kubernetesClient == null) {
      kubernetesClient =
          CamelContextHelper.findSingleByType(getCamelContext(), KubernetesClient.class);
    }
  }

  @Override
  protected synchronized void doStop() throws Exception {
    if (kubernetesExecutor != null) {
      kubernetesExecutor.close();
      kubernetesExecutor = null;
    }
    if (localExecutor != null) {
      localExecutor.close();
      localExecutor = null;
    }
    var threads = getCamelContext().getExecutorServiceManager();
    for (ExecutorService pool :
        new ExecutorService[] {kubernetesApiThreads, localIoThreads, localTimers}) {
      if (pool != null) {
        threads.shutdown(pool);
      }
    }
    if (ownedClient != null) {
      ownedClient.close();
      ownedClient = null;
    }
    super.doStop();
  }

  private void validateWorkspaceOptions() {
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
    if (workspaceStorageClass != null && workspaceStorageClass.isBlank()) {
      workspaceStorageClass = null;
    }
    if (gitImage == null || gitImage.isBlank()) {
      throw new IllegalArgumentException("The kjob component option gitImage must not be empty");
    }
  }

  private static Map<String, String> toStrings(Map<String, Object> values) {
    Map<String, String> strings = new java.util.LinkedHashMap<>();
    values.forEach((key, value) -> strings.put(key, value == null ? "" : value.toString()));
    return strings;
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
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
