package dev.caravan.kjob;

import io.fabric8.kubernetes.client.Config;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Tells whether a Kubernetes cluster configuration is present, as {@code executor=auto} needs. */
public final class ClusterDetector {

  private final Map<String, String> environment;
  private final Path home;

  public ClusterDetector(Map<String, String> environment, Path home) {
    this.environment = environment;
    this.home = home;
  }

  public static ClusterDetector ofThisProcess() {
    return new ClusterDetector(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** A description of the configuration found, or {@code null} when there is none. */
  public String findConfiguration() {
    if (environment.get(Config.KUBERNETES_SERVICE_HOST_PROPERTY) != null
        && Files.isRegularFile(Path.of(Config.KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH))) {
      return "in-cluster service account";
    }
    String kubeconfig = environment.get("KUBECONFIG");
    if (kubeconfig != null && !kubeconfig.isBlank()) {
      for (String file : kubeconfig.split(File.pathSeparator)) {
        if (!file.isBlank() && Files.isRegularFile(Path.of(file))) {
          return "kubeconfig " + file;
        }
      }
    }
    Path defaultKubeconfig = home.resolve(".kube").resolve("config");
    if (Files.isRegularFile(defaultKubeconfig)) {
      return "kubeconfig " + defaultKubeconfig;
    }
    return null;
  }
}
