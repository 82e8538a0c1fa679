package dev.caravan.deploy;

import static dev.caravan.deploy.Manifests.at;
import static dev.caravan.deploy.Manifests.map;
import static dev.caravan.deploy.Manifests.maps;
import static dev.caravan.deploy.Manifests.ofKind;
import static dev.caravan.deploy.Manifests.string;
import static dev.caravan.deploy.Manifests.strings;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

/**
 * What the NetworkPolicies of a set of manifests let a pod do, by the rules of {@code
 * networking.k8s.io/v1}: the policies that select a pod add up; a pod selected by a policy of a
 * type (Ingress, Egress) is isolated for it and may do what one of their rules allows. Peers by pod
 * or namespace selector are not modelled (a check fails on them): the policies here use addresses.
 */
final class NetworkPolicies {

  private NetworkPolicies() {}

  /** The NetworkPolicies whose podSelector selects a pod with these labels. */
  static List<Map<String, Object>> selecting(
      List<Map<String, Object>> objects, Map<String, Object> podLabels) {
    return ofKind(objects, "NetworkPolicy").stream()
        .filter(policy -> selects(map(policy, "spec", "podSelector"), podLabels))
        .toList();
  }

  static List<String> names(List<Map<String, Object>> policies) {
    return policies.stream().map(policy -> string(policy, "metadata", "name")).toList();
  }

  private static boolean selects(Map<String, Object> selector, Map<String, Object> labels) {
    if (selector.containsKey("matchExpressions")) {
      throw new AssertionError("matchExpressions are not modelled: " + selector);
    }
    Object match = selector.get("matchLabels");
    if (match == null) {
      return true;
    }
    return map(match).entrySet().stream()
        .allMatch(e -> String.valueOf(e.getValue()).equals(String.valueOf(labels.get(e.getKey()))));
  }

  private static boolean isolated(List<Map<String, Object>> policies, String type) {
    return policies.stream().anyMatch(policy -> types(policy).contains(type));
  }

  private static List<String> types(Map<String, Object> policy) {
    List<String> types = strings(at(policy, "spec", "policyTypes"));
    if (!types.isEmpty()) {
      return types;
    }
    // the API's default: Ingress, and Egress when the policy has egress rules
    return at(policy, "spec", "egress") == null ? List.of("Ingress") : List.of("Ingress", "Egress");
  }

  /** Whether anything may connect to the pod the policies select. */
  static boolean anyIngress(List<Map<String, Object>> policies) {
    if (!isolated(policies, "Ingress")) {
      return true;
    }
    return policies.stream()
        .filter(policy -> types(policy).contains("Ingress"))
        .anyMatch(policy -> !maps(policy, "spec", "ingress").isEmpty());
  }

  /** Whether the pod the policies select may open a connection to the address and port. */
  static boolean egress(
      List<Map<String, Object>> policies, String address, int port, String protocol) {
    if (!isolated(policies, "Egress")) {
      return true;
    }
    return policies.stream()
        .filter(policy -> types(policy).contains("Egress"))
        .flatMap(policy -> maps(policy, "spec", "egress").stream())
        .anyMatch(rule -> portMatches(rule, port, protocol) && peerMatches(rule, address));
  }

  private static boolean portMatches(Map<String, Object> rule, int port, String protocol) {
    List<Map<String, Object>> ports = maps(rule, "ports");
    return ports.isEmpty()
        || ports.stream()
            .anyMatch(
                p ->
                    protocol.equals(p.getOrDefault("protocol", "TCP"))
                        && (p.get("port") == null || Integer.valueOf(port).equals(p.get("port"))));
  }

  private static boolean peerMatches(Map<String, Object> rule, String address) {
    List<Map<String, Object>> to = maps(rule, "to");
    if (to.isEmpty()) {
      return true;
    }
    for (Map<String, Object> peer : to) {
      if (peer.containsKey("podSelector") || peer.containsKey("namespaceSelector")) {
        throw new AssertionError("peers by selector are not modelled: " + peer);
      }
      Map<String, Object> block = map(peer, "ipBlock");
      if (contains(string(block, "cidr"), address)
          && strings(block.get("except")).stream().noneMatch(except -> contains(except, address))) {
        return true;
      }
    }
    return false;
  }

  /** Whether the CIDR holds the address (false for the other address family). */
  static boolean contains(String cidr, String address) {
    String[] parts = cidr.split("/", 2);
    byte[] network = bytes(parts[0]);
    byte[] host = bytes(address);
    if (network.length != host.length) {
      return false;
    }
    int bits = Integer.parseInt(parts[1]);
    for (int i = 0; i < bits; i++) {
      int mask = 0x80 >>> (i % 8);
      if ((network[i / 8] & mask) != (host[i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  private static byte[] bytes(String literal) {
    try {
      // literals only: getByAddress-like parsing without a DNS lookup
      return InetAddress.getByName(literal).getAddress();
    } catch (UnknownHostException e) {
      throw new AssertionError("not an address: " + literal, e);
    }
  }
}
