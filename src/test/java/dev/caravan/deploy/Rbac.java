package dev.caravan.deploy;

import static dev.caravan.deploy.Manifests.maps;
import static dev.caravan.deploy.Manifests.strings;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** What Kubernetes' RBAC authorizer sees of a request, and the rules of a Role that it checks. */
final class Rbac {

  private Rbac() {}

  /**
   * What RBAC authorizes for one request. {@code group} is {@code null} for a non-resource URL
   * ({@code /version}, API discovery), {@code namespace} for a cluster-scoped request.
   */
  record Access(String group, String resource, String verb, String namespace, String name) {

    /** As RBAC sees a request: API group, resource[/subresource], verb, namespace, name. */
    static Access of(String method, String pathAndQuery) {
      URI uri = URI.create(pathAndQuery);
      List<String> segments =
          Arrays.stream(uri.getRawPath().split("/")).filter(s -> !s.isEmpty()).toList();
      String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
      List<String> parameters = Arrays.asList(query.split("&"));
      boolean watch = parameters.contains("watch=true") || parameters.contains("watch=1");
      int start;
      String group;
      if (segments.size() > 2 && segments.get(0).equals("api")) {
        group = "";
        start = 2;
      } else if (segments.size() > 3 && segments.get(0).equals("apis")) {
        group = segments.get(1);
        start = 3;
      } else {
        return new Access(null, uri.getRawPath(), method.toLowerCase(), null, null);
      }
      List<String> rest = segments.subList(start, segments.size());
      String namespace = null;
      if (rest.size() > 2 && rest.get(0).equals("namespaces")) {
        namespace = rest.get(1);
        rest = rest.subList(2, rest.size());
      }
      String resource = rest.get(0);
      String name = rest.size() > 1 ? rest.get(1) : null;
      if (rest.size() > 2) {
        resource = resource + "/" + String.join("/", rest.subList(2, rest.size()));
      }
      String verb =
          switch (method) {
            case "GET", "HEAD" -> watch ? "watch" : name == null ? "list" : "get";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name == null ? "deletecollection" : "delete";
            default -> method.toLowerCase();
          };
      return new Access(group, resource, verb, namespace, name);
    }

    /** {@code group resource verb}, the core group written as "core". */
    String rbac() {
      return (group == null ? "non-resource" : group.isEmpty() ? "core" : group)
          + " "
          + resource
          + " "
          + verb;
    }

    String describe() {
      return rbac()
          + (namespace == null ? " (cluster-wide)" : " in " + namespace)
          + (name == null ? "" : " name " + name);
    }
  }

  /** The rules of a Role, matched as Kubernetes' RBAC authorizer matches them. */
  record Role(List<Rule> rules) {

    record Rule(
        Set<String> apiGroups, Set<String> resources, Set<String> verbs, Set<String> names) {

      boolean allows(Access access) {
        return access.group() != null
            && apiGroups.contains(access.group())
            && resources.contains(access.resource())
            && verbs.contains(access.verb())
            && (names.isEmpty() || (access.name() != null && names.contains(access.name())));
      }
    }

    static Role of(Object role) {
      List<Rule> rules = new ArrayList<>();
      for (Map<String, Object> rule : maps(role, "rules")) {
        rules.add(
            new Rule(
                Set.copyOf(strings(rule.get("apiGroups"))),
                Set.copyOf(strings(rule.get("resources"))),
                Set.copyOf(strings(rule.get("verbs"))),
                Set.copyOf(strings(rule.get("resourceNames")))));
      }
      return new Role(rules);
    }

    /** A Role binds in one namespace: a cluster-scoped request is never allowed by it. */
    boolean allows(Access access) {
      return access.namespace() != null && rules.stream().anyMatch(rule -> rule.allows(access));
    }

    /** Each (group, resource, verb[, name]) the rules grant that none of the accesses used. */
    Set<String> unused(List<Access> used) {
      Set<String> unused = new TreeSet<>();
      for (Rule rule : rules) {
        for (String group : rule.apiGroups()) {
          for (String resource : rule.resources()) {
            for (String verb : rule.verbs()) {
              List<String> names =
                  rule.names().isEmpty()
                      ? Collections.singletonList(null)
                      : List.copyOf(rule.names());
              for (String name : names) {
                boolean seen =
                    used.stream()
                        .anyMatch(
                            a ->
                                group.equals(a.group())
                                    && resource.equals(a.resource())
                                    && verb.equals(a.verb())
                                    && (name == null || name.equals(a.name())));
                if (!seen) {
                  unused.add(
                      (group.isEmpty() ? "core" : group)
                          + " "
                          + resource
                          + " "
                          + verb
                          + (name == null ? "" : " " + name));
                }
              }
            }
          }
        }
      }
      return unused;
    }
  }
}
