package dev.caravan.kjob.kubernetes;

/** Labels and annotations Caravan puts on its Jobs and pods. */
public final class JobLabels {

  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "caravan";
  public static final String RUN = "caravan.dev/run";
  public static final String STEP = "caravan.dev/step";
  public static final String EVENT = "caravan.dev/event";
  public static final String ATTEMPT = "caravan.dev/attempt";

  /**
   * On the pods of steps with {@code clusterNetwork=true}: the NetworkPolicy {@code
   * caravan-steps-cluster-network} of {@code k8s/} lets them reach the cluster's own addresses.
   */
  public static final String CLUSTER_NETWORK = "caravan.dev/cluster-network";

  public static final String CLUSTER_NETWORK_VALUE = "true";

  public static final String RUN_ID_ANNOTATION = "caravan.dev/run-id";
  public static final String STEP_NAME_ANNOTATION = "caravan.dev/step-name";
  public static final String FAN_OUT_ANNOTATION = "caravan.dev/fan-out-index";

  /** Set by the Job controller on the pods of a Job. */
  public static final String JOB_NAME = "job-name";

  /** Name of the step's container in the pod. */
  public static final String STEP_CONTAINER = "step";

  private JobLabels() {}
}
