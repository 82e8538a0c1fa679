package dev.caravan.kjob;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.spi.Configurer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;
import org.apache.camel.spi.UriPath;

/**
 * The options of one {@code kjob:<stepName>} endpoint, declared once here: {@code @UriParam} with
 * its javadoc (the description in Camel's metadata and in the docs) and its default. Camel's build
 * plugin generates the configurers that bind them (no reflection) and the component's JSON
 * metadata. Every option but the step name can be overridden for one exchange by its header (see
 * {@link KjobConstants}).
 *
 * <p>The javadoc of an option becomes its description in the metadata, where Camel keeps letters,
 * digits, white space and {@code .,-='/\!&%():;#${}} only: write it without markup, brackets or
 * stars.
 */
@UriParams
@Configurer(extended = true)
public class KjobConfiguration implements Cloneable {

  /**
   * Name of the step; folded into DNS-1123 form for Job names (Run Unit Tests! is run-unit-tests).
   */
  @UriPath
  @Metadata(required = true)
  private String stepName;

  /**
   * Container image of the step. Required on Kubernetes; ignored by the local executor (which says
   * so once in the log).
   */
  @UriParam(label = "container")
  private String image;

  /**
   * Shell script, run with /bin/sh -c. Exactly one of script or command is required. A URI folds
   * newlines away, so a multi-line script belongs in a file: resource:classpath:scripts/build.sh
   * (or resource:file:/path/build.sh) loads it when the route starts.
   */
  @UriParam(label = "container", secret = true)
  private String script;

  /** Executable and leading arguments, comma-separated, run without a shell (instead of script). */
  @UriParam(label = "container", secret = true)
  private String command;

  /** Arguments after the command, comma-separated (needs command). */
  @UriParam(label = "container", secret = true)
  private String args;

  /**
   * Environment variables, one option per variable: env.NAME=value. A value may be a Simple
   * expression (${header.title}, ${body}) evaluated for each exchange; the result reaches the step
   * as the variable's value only, never as script text. A name is letters, digits and underscores
   * and does not start with a digit; names starting with CARAVAN_ are reserved.
   */
  @UriParam(label = "container", prefix = "env.", multiValue = true)
  private Map<String, String> env = new LinkedHashMap<>();

  /**
   * Comma-separated names of Secrets whose keys become environment variables (Kubernetes envFrom).
   * Locally each Secret is a directory under the component's localSecretsDir, one file per key.
   */
  @UriParam(label = "container")
  private String envFromSecret;

  /**
   * Working directory of the step; locally it is created if missing. When unset: with checkout,
   * where the sources are (/workspace/source on Kubernetes; locally $CARAVAN_WORKSPACE/source with
   * a workspace, else the fresh per-step directory); with a workspace alone, the workspace; else
   * the image's (Kubernetes) or a fresh per-step directory that is deleted afterwards (local).
   */
  @UriParam(label = "container", defaultValueNote = "see the description")
  private String workingDir;

  /**
   * Clones the event's repository at its commit into the step's working directory before the step
   * runs: the repository is the event label cloneUrl (or the option repository), the revision the
   * label commit, else ref (or the option revision), else the remote's default branch. Kubernetes:
   * an init container (caravan-checkout, the component's gitImage) clones into a volume mounted at
   * the working directory. Local: git child processes. A shallow fetch of one revision: the server
   * must allow fetching a commit by its sha (GitHub, GitLab and git's protocol v2 do).
   */
  @UriParam(label = "source", defaultValue = "false")
  private boolean checkout;

  /**
   * Repository URL to check out, instead of the event label cloneUrl: https:// or SSH (ssh://, or
   * the scp-like form host:path) on a host the component's checkoutAllowedHosts allows; http://,
   * local paths and file:// only where its checkoutAllowedSchemes allows them; never ext::, fd::,
   * git:// or another transport.
   */
  @UriParam(label = "source", defaultValueNote = "the event label cloneUrl")
  private String repository;

  /**
   * Revision to check out: a full commit sha, a branch, a tag or a ref such as refs/pull/7/head;
   * instead of the event label commit (else ref).
   */
  @UriParam(
      label = "source",
      defaultValueNote = "the event label commit, else ref, else the remote's default branch")
  private String revision;

  /**
   * Gives all steps of the run one shared directory, its path in CARAVAN_WORKSPACE. Kubernetes: a
   * PersistentVolumeClaim per run (caravan-ws- and a hash of the run id, created by the first step
   * that needs it, see the component's workspace options) mounted at /workspace. Local: a directory
   * under workspaces/ in the component's localWorkDir. Deleted when the run ends (by the event
   * component; other callers use {@link StepExecutors#deleteWorkspace(String)}).
   */
  @UriParam(label = "source", defaultValue = "false")
  private boolean workspace;

  /** Namespace of the Job. */
  @UriParam(label = "kubernetes", defaultValueNote = "the component's namespace")
  private String namespace;

  /** Service account the step's pod runs as. */
  @UriParam(label = "kubernetes", defaultValueNote = "the namespace's default account")
  private String serviceAccount;

  /** CPU request, a Kubernetes quantity such as 250m. */
  @UriParam(label = "kubernetes")
  private String cpuRequest;

  /** CPU limit, a Kubernetes quantity such as 2. */
  @UriParam(label = "kubernetes")
  private String cpuLimit;

  /** Memory request, a Kubernetes quantity such as 128Mi. */
  @UriParam(label = "kubernetes")
  private String memoryRequest;

  /** Memory limit, a Kubernetes quantity such as 2Gi. */
  @UriParam(label = "kubernetes")
  private String memoryLimit;

  /**
   * Longest the step may run: 30s, 5m, 1h30m, 250ms; a plain number is milliseconds; 0 for none.
   * Kubernetes: the Job's activeDeadlineSeconds. Local: the whole process tree is killed (SIGKILL),
   * including what left the step's session.
   */
  @UriParam(defaultValue = "1h")
  private String timeout = "1h";

  /** Seconds a finished Job is kept before Kubernetes deletes it (its log is kept by Caravan). */
  @UriParam(label = "kubernetes", defaultValue = "3600")
  private int ttlSecondsAfterFinished = 3600;

  /** Node labels the pod must match, one option per label: nodeSelector.KEY=value. */
  @UriParam(label = "kubernetes", prefix = "nodeSelector.", multiValue = true)
  private Map<String, String> nodeSelector = new LinkedHashMap<>();

  /** Image pull policy of the step's container. */
  @UriParam(
      label = "kubernetes",
      enums = "Always,IfNotPresent,Never",
      defaultValueNote = "the cluster's default")
  private String imagePullPolicy;

  /**
   * Where the step runs: kubernetes, local, or auto (Kubernetes when an in-cluster service account
   * or a kubeconfig is present, else local; the choice is logged once).
   */
  @UriParam(enums = "auto,kubernetes,local", defaultValueNote = "the component's executor")
  private String executor;

  /**
   * Whether the step's pod gets a service account token. Unset: only when the step names a
   * serviceAccount (a step without one has no business with the API server, and the namespace's
   * default account may be bound to more than it should).
   */
  @UriParam(label = "security", defaultValueNote = "true only when serviceAccount is set")
  private Boolean automountServiceAccountToken;

  /**
   * Whether Kubernetes puts the namespace's Services into the step's environment (the SERVICE_HOST
   * and SERVICE_PORT variables of each). Off: a step learns no addresses it was not given.
   */
  @UriParam(label = "security", defaultValue = "false")
  private boolean enableServiceLinks;

  /**
   * Seccomp profile of the step's pod: RuntimeDefault (the container runtime's filter of dangerous
   * system calls) or Unconfined.
   */
  @UriParam(
      label = "security",
      defaultValue = PodSecurity.RUNTIME_DEFAULT,
      enums = "RuntimeDefault,Unconfined")
  private String seccompProfile = PodSecurity.RUNTIME_DEFAULT;

  /**
   * Whether processes of the pod's containers may gain more privileges than their parent (setuid
   * binaries such as sudo).
   */
  @UriParam(label = "security", defaultValue = "false")
  private boolean allowPrivilegeEscalation;

  /**
   * Linux capabilities given back to the pod's containers, comma-separated, upper case and without
   * CAP_ (NET_ADMIN,SYS_TIME). Every container drops all capabilities; none is added back by
   * default.
   */
  @UriParam(label = "security", defaultValueNote = "none")
  private String capabilitiesAdd;

  /**
   * Labels the step's pod caravan.dev/cluster-network=true, which the NetworkPolicy
   * caravan-steps-cluster-network of k8s/ lets reach addresses inside the cluster (Services, the
   * API server, private networks). Without it a step reaches only DNS and public addresses.
   */
  @UriParam(label = "security", defaultValue = "false")
  private boolean clusterNetwork;

  /** How many lines of output a StepFailedException carries. */
  @UriParam(label = "advanced", defaultValue = "20")
  private int logTailLines = 20;

  /**
   * Most bytes of output kept: the first half and the last half (where a failure says why), with
   * the line caravan: N bytes of output dropped between them. The kept output is the body (the next
   * step's standard input) and is held in memory while the exchange lives, hence the small default;
   * the rest never reaches memory or the store, whatever the step prints.
   */
  @UriParam(label = "advanced", defaultValue = "1048576")
  private int maxOutputBytes = 1024 * 1024;

  public String getStepName() {
    return stepName;
  }

  public void setStepName(String stepName) {
    this.stepName = stepName;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public String getScript() {
    return script;
  }

  public void setScript(String script) {
    this.script = script;
  }

  public String getCommand() {
    return command;
  }

  public void setCommand(String command) {
    this.command = command;
  }

  public String getArgs() {
    return args;
  }

  public void setArgs(String args) {
    this.args = args;
  }

  public Map<String, String> getEnv() {
    return env;
  }

  public void setEnv(Map<String, String> env) {
    this.env = new LinkedHashMap<>(env);
  }

  public String getEnvFromSecret() {
    return envFromSecret;
  }

  public void setEnvFromSecret(String envFromSecret) {
    this.envFromSecret = envFromSecret;
  }

  public String getWorkingDir() {
    return workingDir;
  }

  public void setWorkingDir(String workingDir) {
    this.workingDir = workingDir;
  }

  public boolean isCheckout() {
    return checkout;
  }

  public void setCheckout(boolean checkout) {
    this.checkout = checkout;
  }

  public String getRepository() {
    return repository;
  }

  public void setRepository(String repository) {
    this.repository = repository;
  }

  public String getRevision() {
    return revision;
  }

  public void setRevision(String revision) {
    this.revision = revision;
  }

  public boolean isWorkspace() {
    return workspace;
  }

  public void setWorkspace(boolean workspace) {
    this.workspace = workspace;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  public String getServiceAccount() {
    return serviceAccount;
  }

  public void setServiceAccount(String serviceAccount) {
    this.serviceAccount = serviceAccount;
  }

  public String getCpuRequest() {
    return cpuRequest;
  }

  public void setCpuRequest(String cpuRequest) {
    this.cpuRequest = cpuRequest;
  }

  public String getCpuLimit() {
    return cpuLimit;
  }

  public void setCpuLimit(String cpuLimit) {
    this.cpuLimit = cpuLimit;
  }

  public String getMemoryRequest() {
    return memoryRequest;
  }

  public void setMemoryRequest(String memoryRequest) {
    this.memoryRequest = memoryRequest;
  }

  public String getMemoryLimit() {
    return memoryLimit;
  }

  public void setMemoryLimit(String memoryLimit) {
    this.memoryLimit = memoryLimit;
  }

  public String getTimeout() {
    return timeout;
  }

  public void setTimeout(String timeout) {
    this.timeout = timeout;
  }

  public int getTtlSecondsAfterFinished() {
    return ttlSecondsAfterFinished;
  }

  public void setTtlSecondsAfterFinished(int ttlSecondsAfterFinished) {
    this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
  }

  public Map<String, String> getNodeSelector() {
    return nodeSelector;
  }

  public void setNodeSelector(Map<String, String> nodeSelector) {
    this.nodeSelector = new LinkedHashMap<>(nodeSelector);
  }

  public String getImagePullPolicy() {
    return imagePullPolicy;
  }

  public void setImagePullPolicy(String imagePullPolicy) {
    this.imagePullPolicy = imagePullPolicy;
  }

  public String getExecutor() {
    return executor;
  }

  public void setExecutor(String executor) {
    this.executor = executor;
  }

  public Boolean getAutomountServiceAccountToken() {
    return automountServiceAccountToken;
  }

  public void setAutomountServiceAccountToken(Boolean automountServiceAccountToken) {
    this.automountServiceAccountToken = automountServiceAccountToken;
  }

  public boolean isEnableServiceLinks() {
    return enableServiceLinks;
  }

  public void setEnableServiceLinks(boolean enableServiceLinks) {
    this.enableServiceLinks = enableServiceLinks;
  }

  public String getSeccompProfile() {
    return seccompProfile;
  }

  public void setSeccompProfile(String seccompProfile) {
    this.seccompProfile = seccompProfile;
  }

  public boolean isAllowPrivilegeEscalation() {
    return allowPrivilegeEscalation;
  }

  public void setAllowPrivilegeEscalation(boolean allowPrivilegeEscalation) {
    this.allowPrivilegeEscalation = allowPrivilegeEscalation;
  }

  public String getCapabilitiesAdd() {
    return capabilitiesAdd;
  }

  public void setCapabilitiesAdd(String capabilitiesAdd) {
    this.capabilitiesAdd = capabilitiesAdd;
  }

  public boolean isClusterNetwork() {
    return clusterNetwork;
  }

  public void setClusterNetwork(boolean clusterNetwork) {
    this.clusterNetwork = clusterNetwork;
  }

  public int getLogTailLines() {
    return logTailLines;
  }

  public void setLogTailLines(int logTailLines) {
    this.logTailLines = logTailLines;
  }

  public int getMaxOutputBytes() {
    return maxOutputBytes;
  }

  public void setMaxOutputBytes(int maxOutputBytes) {
    this.maxOutputBytes = maxOutputBytes;
  }

  public KjobConfiguration copy() {
    try {
      KjobConfiguration copy = (KjobConfiguration) clone();
      copy.env = new LinkedHashMap<>(env);
      copy.nodeSelector = new LinkedHashMap<>(nodeSelector);
      return copy;
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }
}
