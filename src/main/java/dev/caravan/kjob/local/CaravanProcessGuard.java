package dev.caravan.kjob.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the local executor does to Caravan's own process, once per JVM, before the first step runs:
 * marks it not dumpable (a step running as the same user can then no longer read Caravan's
 * environment, memory or open files through {@code /proc/<pid>/}), and makes it the child subreaper
 * of everything started below it (an orphaned step process is reparented to Caravan, not to init,
 * so that it can be killed with its step). Linux only; says in one log line what it did.
 */
final class CaravanProcessGuard {

  private static final Logger LOG = LoggerFactory.getLogger(CaravanProcessGuard.class);

  /** What the guard achieved in this JVM. */
  record State(boolean notDumpable, boolean childSubreaper) {}

  private static State state;

  private CaravanProcessGuard() {}

  /** Applies the guard on the first call; later calls return what the first one achieved. */
  static synchronized State apply() {
    if (state == null) {
      state = applyOnce();
    }
    return state;
  }

  private static State applyOnce() {
    Optional<LinuxProcessControl> linux = LinuxProcessControl.get();
    if (linux.isEmpty()) {
      LOG.warn(
          "kjob local executor: {}: Caravan's process stays dumpable, so a step running as the"
              + " same user can read Caravan's environment (its secrets) through the operating"
              + " system, and processes a step leaves behind are not adopted and killed; run"
              + " untrusted steps on the Kubernetes executor",
          LinuxProcessControl.unavailableBecause());
      return new State(false, false);
    }
    List<String> problems = new ArrayList<>();
    boolean notDumpable = false;
    boolean subreaper = false;
    try {
      linux.get().makeNotDumpable();
      notDumpable = !linux.get().isDumpable();
      if (!notDumpable) {
        problems.add("prctl(PR_SET_DUMPABLE, 0) had no effect");
      }
    } catch (RuntimeException e) {
      problems.add("prctl(PR_SET_DUMPABLE, 0) failed (" + e.getMessage() + ")");
    }
    try {
      linux.get().becomeChildSubreaper();
      subreaper = linux.get().isChildSubreaper();
      if (!subreaper) {
        problems.add("prctl(PR_SET_CHILD_SUBREAPER, 1) had no effect");
      }
    } catch (RuntimeException e) {
      problems.add("prctl(PR_SET_CHILD_SUBREAPER, 1) failed (" + e.getMessage() + ")");
    }
    if (problems.isEmpty()) {
      LOG.info(
          "kjob local executor: Caravan's process is not dumpable (steps cannot read its"
              + " environment or memory through /proc) and is the child subreaper of the"
              + " processes its steps leave behind");
    } else {
      List<String> consequences = new ArrayList<>();
      if (!notDumpable) {
        consequences.add(
            "a step running as the same user can read Caravan's environment (its secrets)"
                + " through /proc/<pid>/environ");
      }
      if (!subreaper) {
        consequences.add(
            "processes that a step orphans are reparented to init and may outlive the step");
      }
      LOG.warn(
          "kjob local executor: {}: {}",
          String.join("; ", problems),
          String.join("; ", consequences));
    }
    return new State(notDumpable, subreaper);
  }
}
