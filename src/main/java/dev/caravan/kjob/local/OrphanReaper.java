package dev.caravan.kjob.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills what a local step leaves behind when it ends, and reaps it. With Caravan the child
 * subreaper of its descendants ({@link CaravanProcessGuard}), a process that a step orphans (a
 * double fork, a {@code setsid} child whose parent exited) becomes a child of Caravan instead of
 * init. When the step ends, a sweep over {@code /proc} kills:
 *
 * <ul>
 *   <li>every process in the step's session or process group;
 *   <li>every child of Caravan whose initial environment carries the step's {@code
 *       CARAVAN_JOB_NAME}, or that of another step that ended here in the last ten minutes;
 *   <li>every child of Caravan with no {@code CARAVAN_JOB_NAME} at all (or the name of a job this
 *       Caravan did not run) that is in a session other than Caravan's own, was not started by
 *       Caravan itself and started after the step did;
 * </ul>
 *
 * <p>and with each its process group and descendants. The children it killed, and orphans of
 * running steps once they exit, are reaped with {@code waitpid(pid, WNOHANG)} on their own pids,
 * never with {@code waitpid(-1)}, which would take the exit status of processes that Java itself
 * waits for. A zombie child that no rule attributes is reaped once it has stayed a zombie for
 * {@link #UNCLAIMED_ZOMBIE_MILLIS} (Java reaps the processes it started at once).
 *
 * <p>One reaper per JVM (the children of the JVM are shared by all executors in it); thread-safe.
 * Does nothing where {@code /proc} or the JNA binding is missing.
 */
final class OrphanReaper {

  static final String JOB_MARKER = "CARAVAN_JOB_NAME";

  /** How long a zombie child nobody claims is left to Java before the reaper reaps it. */
  static final long UNCLAIMED_ZOMBIE_MILLIS = 5000;

  /** How long, and for how many jobs, orphans found later still count as an ended job's. */
  private static final long RECENTLY_ENDED_MILLIS = 10 * 60 * 1000;

  private static final int RECENTLY_ENDED_MAX = 10_000;

  /** How many quick sweeps follow one that killed something (grandchildren reparented late). */
  private static final int FOLLOW_UPS = 20;

  private static final Logger LOG = LoggerFactory.getLogger(OrphanReaper.class);
  private static final OrphanReaper SHARED = new OrphanReaper();

  /**
   * A running step: its leader's pid once it has one (and when the leader started, -1 if unknown),
   * and when the step started (clock ticks).
   */
  private record Step(long leader, long leaderStartTicks, long startTicks) {}

  /** An unclaimed zombie child, and when it was first seen as one. */
  private record Zombie(long startTicks, long firstSeenMillis) {}

  private final Optional<LinuxProcessControl> linux;
  private final boolean enabled;
  private final long self = ProcessHandle.current().pid();
  private final long selfSession;
  private final Map<String, Step> running = new HashMap<>();
  private final Map<String, Step> ended = new LinkedHashMap<>();

  /** Children of Caravan that belong to steps: killed by a sweep, or orphans of running steps. */
  private final Map<Long, Long> adopted = new HashMap<>();

  private final Map<Long, Zombie> unclaimed = new HashMap<>();

  /** Jobs that ended here lately, oldest first: their orphans are killed whenever found. */
  private final Map<String, Long> recentlyEnded = new LinkedHashMap<>();

  private int followUps;
  private boolean soonPending;
  private long ticks;

  private OrphanReaper() {
    this.linux = LinuxProcessControl.get();
    Optional<ProcFs.Stat> me = ProcFs.isAvailable() ? ProcFs.self() : Optional.empty();
    this.enabled = linux.isPresent() && me.isPresent();
    this.selfSession = me.map(ProcFs.Stat::session).orElse(-1L);
  }

  static OrphanReaper shared() {
    return SHARED;
  }

  /** Whether sweeps do anything here (Linux with {@code /proc} and the JNA binding). */
  boolean isEnabled() {
    return enabled;
  }

  /** Called before the step's process starts: its orphans are to be left alone until it ends. */
  synchronized void starting(String jobName) {
    ended.remove(jobName);
    running.put(jobName, new Step(-1, -1, uptimeTicks() - 1));
  }

  /** The step's process has started. */
  synchronized void started(String jobName, long leaderPid) {
    Step step = running.get(jobName);
    long startTicks = step == null ? uptimeTicks() - 1 : step.startTicks();
    long leaderStart = ProcFs.stat(leaderPid).map(ProcFs.Stat::startTicks).orElse(-1L);
    running.put(jobName, new Step(leaderPid, leaderStart, startTicks));
  }

  /**
   * The step has ended, timed out or was canceled: what it left behind is killed by the next sweep.
   * Idempotent.
   */
  synchronized void ended(String jobName) {
    Step step = running.remove(jobName);
    if (step != null) {
      ended.put(jobName, step);
      recentlyEnded.remove(jobName);
      recentlyEnded.put(jobName, System.currentTimeMillis());
      if (recentlyEnded.size() > RECENTLY_ENDED_MAX) {
        recentlyEnded.remove(recentlyEnded.keySet().iterator().next());
      }
    }
  }

  /**
   * Kills what is left of a step that an earlier Caravan ran and could not end (it was killed):
   * every process, other than those this Caravan started, whose initial environment carries the
   * job's {@code CARAVAN_JOB_NAME}, with everything in the sessions and process groups such
   * processes lead. Steps run in a session of their own, so this reaches children that cleared
   * their environment too, as long as their session's leader lives.
   *
   * @return how many processes were killed
   */
  synchronized int killLeftoversOf(String jobName) {
    if (!enabled) {
      return 0;
    }
    List<ProcFs.Stat> processes = ProcFs.all();
    Set<Long> leaders = new HashSet<>();
    Set<Long> marked = new HashSet<>();
    for (ProcFs.Stat process : processes) {
      if (isOwnOrDead(process)
          || !jobName.equals(ProcFs.environment(process.pid(), JOB_MARKER).jobName())) {
        continue;
      }
      marked.add(process.pid());
      if (process.session() == process.pid() || process.pgrp() == process.pid()) {
        leaders.add(process.pid());
      }
    }
    int killed = 0;
    for (ProcFs.Stat process : processes) {
      if (!isOwnOrDead(process)
          && (marked.contains(process.pid())
              || leaders.contains(process.session())
              || leaders.contains(process.pgrp()))) {
        kill(process);
        killed++;
      }
    }
    if (killed > 0) {
      LOG.info("Killed {} process(es) left running by job {} before a restart", killed, jobName);
      followUps = FOLLOW_UPS;
    }
    return killed;
  }

  private boolean isOwnOrDead(ProcFs.Stat process) {
    return process.pid() == self
        || process.isZombie()
        || ProcessTree.isStartedByCaravan(process.pid());
  }

  /**
   * Whether the caller should schedule a sweep soon: steps have ended, or a sweep killed something
   * moments ago, and no such sweep is scheduled yet. The caller then runs {@link #sweep()} (or
   * {@link #soonSweepRejected()} when it cannot).
   */
  synchronized boolean claimSoonSweep() {
    if (!enabled || soonPending || (ended.isEmpty() && followUps == 0)) {
      return false;
    }
    soonPending = true;
    return true;
  }

  synchronized void soonSweepRejected() {
    soonPending = false;
  }

  /**
   * The sweep to run about once a second: only while there is something to watch (running steps,
   * orphans to reap), and every tenth time anyway (zombies nobody claims).
   */
  synchronized void periodicSweep() {
    boolean idle = running.isEmpty() && ended.isEmpty() && adopted.isEmpty() && unclaimed.isEmpty();
    if (!idle || ++ticks % 10 == 0) {
      sweep();
    }
  }

  /** Kills and reaps what ended steps left behind (see the class comment). */
  synchronized void sweep() {
    soonPending = false;
    if (!enabled) {
      ended.clear();
      return;
    }
    Map<String, Step> endedNow = new LinkedHashMap<>(ended);
    ended.clear();
    long tooOld = System.currentTimeMillis() - RECENTLY_ENDED_MILLIS;
    recentlyEnded.values().removeIf(endedAt -> endedAt < tooOld);
    long spawns = ProcessTree.spawnMark();
    List<ProcFs.Stat> processes = ProcFs.all();
    // a child that a start under way made is not in isStartedByCaravan yet
    boolean noStartDuringLook = ProcessTree.noStartSince(spawns);
    Map<String, Step> sessions = sessionsToKill(endedNow, processes);
    List<ProcFs.Stat> toKill = new ArrayList<>();
    Map<Long, ProcFs.Stat> zombies = new HashMap<>();
    for (ProcFs.Stat process : processes) {
      if (process.pid() == self) {
        continue;
      }
      if (process.isZombie()) {
        if (process.ppid() == self) {
          zombies.put(process.pid(), process);
        }
        continue;
      }
      if (ProcessTree.isStartedByCaravan(process.pid())) {
        continue; // a step's leader or git: its executor's to kill
      }
      if (inSessionOrGroupOf(process, sessions)) {
        toKill.add(process);
      } else if (process.ppid() == self
          && noStartDuringLook
          && belongsToNoRunningStep(process, endedNow)) {
        toKill.add(process);
      }
    }
    for (ProcFs.Stat process : toKill) {
      kill(process);
    }
    reap(zombies, sessions);
    if (!toKill.isEmpty()) {
      LOG.debug(
          "Killed {} process(es) left behind by step(s) {}",
          toKill.size(),
          endedNow.isEmpty() ? "that ended earlier" : endedNow.keySet());
      followUps = FOLLOW_UPS;
    } else if (followUps > 0) {
      followUps--;
    }
  }

  /**
   * The ended steps whose session and process group may be killed: those whose leader's pid is not
   * in use by another process now. (While a member of its session or group lives, the kernel keeps
   * the pid; once none does, it may hand it out again.)
   */
  private static Map<String, Step> sessionsToKill(
      Map<String, Step> steps, List<ProcFs.Stat> processes) {
    Map<Long, ProcFs.Stat> byPid = new HashMap<>();
    processes.forEach(process -> byPid.put(process.pid(), process));
    Map<String, Step> sessions = new LinkedHashMap<>();
    steps.forEach(
        (jobName, step) -> {
          ProcFs.Stat holder = step.leader() > 0 ? byPid.get(step.leader()) : null;
          boolean leaderOrNobody =
              holder == null
                  || (step.leaderStartTicks() >= 0
                      && holder.startTicks() == step.leaderStartTicks());
          if (step.leader() > 0 && leaderOrNobody) {
            sessions.put(jobName, step);
          }
        });
    return sessions;
  }

  private static boolean inSessionOrGroupOf(ProcFs.Stat process, Map<String, Step> steps) {
    for (Step step : steps.values()) {
      if (step.leader() > 0
          && (process.session() == step.leader() || process.pgrp() == step.leader())) {
        return true;
      }
    }
    return false;
  }

  /**
   * For a child of Caravan that Caravan did not start (an adopted orphan): whether it is no running
   * step's. Orphans of running steps are remembered, to be reaped once they exit.
   */
  private boolean belongsToNoRunningStep(ProcFs.Stat orphan, Map<String, Step> endedNow) {
    ProcFs.Marker marker = ProcFs.environment(orphan.pid(), JOB_MARKER);
    if (!marker.readable()) {
      return false;
    }
    String jobName = marker.jobName();
    if (running.containsKey(jobName)) {
      adopted.putIfAbsent(orphan.pid(), orphan.startTicks());
      return false;
    }
    if (endedNow.containsKey(jobName) || recentlyEnded.containsKey(jobName)) {
      return true;
    }
    // no marker, or the name of a job this Caravan did not run (another Caravan's, one made up)
    if (orphan.session() == selfSession) {
      // started by other code in this JVM, not orphaned by a step
      return false;
    }
    return endedNow.values().stream().anyMatch(step -> orphan.startTicks() >= step.startTicks());
  }

  private void kill(ProcFs.Stat process) {
    Optional<ProcessHandle> handle = ProcessHandle.of(process.pid());
    List<ProcessHandle> descendants = handle.map(h -> h.descendants().toList()).orElse(List.of());
    if (process.pgrp() == process.pid()) {
      linux.get().kill(-process.pid());
    }
    // ProcessHandle checks the start time, so a pid reused meanwhile is not hit
    handle.ifPresent(ProcessHandle::destroyForcibly);
    descendants.forEach(ProcessHandle::destroyForcibly);
    if (process.ppid() == self) {
      adopted.put(process.pid(), process.startTicks());
    }
  }

  private void reap(Map<Long, ProcFs.Stat> zombies, Map<String, Step> sessions) {
    long now = System.currentTimeMillis();
    adopted
        .entrySet()
        .removeIf(
            entry -> {
              ProcFs.Stat zombie = zombies.remove(entry.getKey());
              if (zombie != null && zombie.startTicks() == entry.getValue()) {
                return linux.get().reap(zombie.pid());
              }
              // gone (or not yet dead): keep it while it is still a child of Caravan
              return ProcFs.stat(entry.getKey())
                  .map(stat -> stat.ppid() != self || stat.startTicks() != entry.getValue())
                  .orElse(true);
            });
    unclaimed.keySet().retainAll(zombies.keySet());
    for (ProcFs.Stat zombie : zombies.values()) {
      if (ProcessTree.isStartedByCaravan(zombie.pid())) {
        continue; // Java reaps it
      }
      if (inSessionOrGroupOf(zombie, sessions)) {
        linux.get().reap(zombie.pid());
        continue;
      }
      Zombie seen =
          unclaimed.computeIfAbsent(zombie.pid(), pid -> new Zombie(zombie.startTicks(), now));
      if (seen.startTicks() != zombie.startTicks()) {
        unclaimed.put(zombie.pid(), new Zombie(zombie.startTicks(), now));
      } else if (now - seen.firstSeenMillis() >= UNCLAIMED_ZOMBIE_MILLIS) {
        linux.get().reap(zombie.pid());
        unclaimed.remove(zombie.pid());
      }
    }
  }

  /** Clock ticks since boot, the unit of a process's start time in {@code /proc/<pid>/stat}. */
  private static long uptimeTicks() {
    try {
      String uptime = Files.readString(Path.of("/proc/uptime"), StandardCharsets.US_ASCII);
      double seconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
      // USER_HZ, the unit of /proc/<pid>/stat times, is 100 wherever Java runs on Linux
      return (long) (seconds * 100);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
