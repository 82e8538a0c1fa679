package dev.caravan.deploy;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Caravan's Kubernetes manifests under {@code k8s/}: read as written with SnakeYAML (always), and
 * rendered by {@code kubectl kustomize} where a kubectl is installed.
 */
final class Manifests {

  /** Maven runs tests in the project's folder. */
  static final Path K8S = Path.of("k8s");

  static final Path BASE = K8S.resolve("base");
  static final Path POSTGRES = K8S.resolve("overlays").resolve("postgres");

  /**
   * The fields of a kustomization.yaml that kustomize v2.0.3, the one inside Debian's kubectl 1.20
   * (package kubernetes-client), knows. Newer ones ({@code labels}, {@code patches}, directories
   * under {@code resources}) fail there with "unknown field" or "must be a file".
   */
  static final Set<String> KUSTOMIZE_V2_FIELDS =
      Set.of(
          "apiVersion",
          "kind",
          "resources",
          "bases",
          "namespace",
          "namePrefix",
          "nameSuffix",
          "commonLabels",
          "commonAnnotations",
          "configMapGenerator",
          "secretGenerator",
          "generatorOptions",
          "patchesStrategicMerge",
          "patchesJson6902",
          "images",
          "vars",
          "crds");

  private Manifests() {}

  /** The documents of a YAML file, empty ones left out. */
  static List<Object> documents(Path file) {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      List<Object> documents = new ArrayList<>();
      for (Object document : yaml.loadAll(reader)) {
        if (document != null) {
          documents.add(document);
        }
      }
      return documents;
    } catch (IOException | RuntimeException e) {
      throw new AssertionError("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Every YAML file under {@code k8s/}. */
  static List<Path> yamlFiles() {
    try (Stream<Path> files = Files.walk(K8S)) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The kustomization.yaml of a folder. */
  static Map<String, Object> kustomization(Path dir) {
    List<Object> documents = documents(dir.resolve("kustomization.yaml"));
    if (documents.size() != 1) {
      throw new AssertionError(dir + "/kustomization.yaml must hold one document");
    }
    return map(documents.get(0));
  }

  /**
   * The objects of a kustomization as written: its resource files and those of its bases,
   * recursively. Generators, patches and image overrides are not applied (kubectl does that).
   */
  static List<Map<String, Object>> objects(Path dir) {
    Map<String, Object> kustomization = kustomization(dir);
    List<Map<String, Object>> objects = new ArrayList<>();
    for (String base : strings(kustomization.get("bases"))) {
      objects.addAll(objects(dir.resolve(base).normalize()));
    }
    for (String resource : strings(kustomization.get("resources"))) {
      for (Object document : documents(dir.resolve(resource))) {
        objects.add(map(document));
      }
    }
    return objects;
  }

  /**
   * The kubectl to render with: {@code -Dkubectl=...} or {@code $KUBECTL}, else {@code kubectl} on
   * the PATH; empty when none answers {@code kubectl version --client}.
   */
  static Optional<String> kubectl() {
    String configured = System.getProperty("kubectl", System.getenv("KUBECTL"));
    String candidate = configured == null || configured.isBlank() ? onPath("kubectl") : configured;
    if (candidate == null) {
      return Optional.empty();
    }
    try {
      Process process =
          new ProcessBuilder(candidate, "version", "--client")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return Optional.empty();
      }
      return process.exitValue() == 0 ? Optional.of(candidate) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** {@code kubectl kustomize dir}, parsed; fails when kubectl does. */
  static List<Map<String, Object>> render(String kubectl, Path dir) {
    try {
      Path out = Files.createTempFile("kustomize", ".yaml");
      Path err = Files.createTempFile("kustomize", ".err");
      try {
        Process process =
            new ProcessBuilder(kubectl, "kustomize", dir.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError(kubectl + " kustomize " + dir + " did not end in 120 s");
        }
        if (process.exitValue() != 0) {
          throw new AssertionError(
              kubectl
                  + " kustomize "
                  + dir
                  + " failed with exit code "
                  + process.exitValue()
                  + ":\n"
                  + Files.readString(err));
        }
        return documents(out).stream().map(Manifests::map).toList();
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Path.of(dir, command).toString();
      }
    }
    return null;
  }

  // finding objects and walking them

  static List<Map<String, Object>> ofKind(List<Map<String, Object>> objects, String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  /** The one object of that kind and name (a generated name may carry kustomize's hash suffix). */
  static Map<String, Object> find(List<Map<String, Object>> objects, String kind, String name) {
    List<Map<String, Object>> found =
        ofKind(objects, kind).stream()
            .filter(o -> name.equals(string(o, "metadata", "name")))
            .toList();
    if (found.size() != 1) {
      throw new AssertionError(
          "expected one " + kind + " named " + name + ", found " + found.size() + ": " + found);
    }
    return found.get(0);
  }

  /** The value at the path of map keys, or {@code null}. */
  static Object at(Object node, String... path) {
    Object current = node;
    for (String key : path) {
      if (!(current instanceof Map<?, ?> map)) {
        return null;
      }
      current = map.get(key);
    }
    return current;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object node, String... path) {
    Object value = at(node, path);
    if (!(value instanceof Map)) {
      throw new AssertionError("expected a map at " + String.join(".", path) + ", got " + value);
    }
    return (Map<String, Object>) value;
  }

  /** A list of maps ({@code containers}, {@code env}, ...); empty when absent. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> maps(Object node, String... path) {
    Object value = at(node, path);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list) || !list.stream().allMatch(Map.class::isInstance)) {
      throw new AssertionError("expected a list of maps at " + String.join(".", path));
    }
    return (List<Map<String, Object>>) value;
  }

  static String string(Object node, String... path) {
    Object value = at(node, path);
    return value == null ? null : String.valueOf(value);
  }

  /** A list of strings; empty when absent. */
  static List<String> strings(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new AssertionError("expected a list, got " + value);
    }
    return list.stream().map(String::valueOf).toList();
  }

  /** The map in the list whose {@code name} is the given one. */
  static Map<String, Object> named(List<Map<String, Object>> items, String name) {
    return items.stream()
        .filter(item -> name.equals(item.get("name")))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    "nothing named "
                        + name
                        + " among "
                        + items.stream().map(item -> item.get("name")).toList()));
  }
}
