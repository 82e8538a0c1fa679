package dev.caravan.graph;

import dev.caravan.kjob.StepRecord;
import java.util.Collection;

/**
 * Where a node of a run's graph is: not reached yet, running, ended (as a step ends), or skipped (a
 * branch not taken, or the run ended before it).
 */
public enum NodeState {
  PENDING,
  RUNNING,
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  CANCELED,
  SKIPPED;

  /** The state of one attempt of a step: RUNNING until it ended, then its status. */
  static NodeState of(StepRecord record) {
    return record.hasEnded() ? valueOf(record.status().name()) : RUNNING;
  }

  /** Whether the node ran to an end (SUCCEEDED, FAILED, TIMED_OUT, CANCELED). */
  boolean hasEnded() {
    return this == SUCCEEDED || this == FAILED || this == TIMED_OUT || this == CANCELED;
  }

  /** How bad an ended state is: CANCELED over TIMED_OUT over FAILED over SUCCEEDED. */
  private int severity() {
    return switch (this) {
      case CANCELED -> 4;
      case TIMED_OUT -> 3;
      case FAILED -> 2;
      case SUCCEEDED -> 1;
      default -> 0;
    };
  }

  /** The worst ended state of several, {@code null} when none ended. */
  static NodeState worst(Collection<NodeState> states) {
    NodeState worst = null;
    for (NodeState state : states) {
      if (state.hasEnded() && (worst == null || state.severity() > worst.severity())) {
        worst = state;
      }
    }
    return worst;
  }

  /**
   * Several states seen together, such as the attempts of a step's items: RUNNING when one runs,
   * else the worst ended one; {@code null} for none.
   */
  static NodeState together(Collection<NodeState> states) {
    return states.contains(RUNNING) ? RUNNING : worst(states);
  }

  /**
   * The state of a container from its children's: RUNNING when one runs, or when some ended and
   * some are still PENDING (the run is between them); else the worst ended one; else PENDING when
   * one is, else SKIPPED (no child ran).
   */
  static NodeState ofChildren(Collection<NodeState> children) {
    boolean pending = children.contains(PENDING);
    if (children.contains(RUNNING)) {
      return RUNNING;
    }
    NodeState worst = worst(children);
    if (worst != null) {
      return pending ? RUNNING : worst;
    }
    return pending ? PENDING : SKIPPED;
  }
}
