// A run's page: its pipeline as a picture with the state of every node, a timeline of the steps,
// the chosen step's log (live while it runs), why it failed, the event that started it, and
// cancel, retry and rerun.

import { AnsiState, appendAnsi } from "./ansi.js";
import { getJson, post, query, stream, withQuery } from "./api.js";
import { drawGraph } from "./graph.js";
import { layout } from "./layout.js";
import { LogView } from "./logview.js";
import { badge, duration, formatMillis, h, link, replace, shortId, showError, time } from "./view.js";

const ACTIVE = new Set(["PENDING", "QUEUED", "RUNNING"]);
const runId = decodeURIComponent(location.pathname.split("/")[2]);
const chosen = query();
const expanded = new Set();
let run;
let logView;
let following = null;

function stepIndex(step) {
  const index = step.index ?? step.fanOutIndex;
  return index === "" || index === undefined ? null : index;
}

function stepKey(name, index) {
  return index === null || index === undefined ? name : `${name} ${index}`;
}

function logPath(name, index) {
  const base = `/api/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(name)}/logs`;
  return withQuery(base, { index });
}

function summary(page) {
  const facts = h(
    "dl",
    { class: "facts" },
    h("dt", {}, "Pipeline"),
    h("dd", {}, link(`/pipelines/${encodeURIComponent(run.pipeline)}`, run.pipeline)),
    h("dt", {}, "Status"),
    h("dd", { id: "run-status" }, badge(run.status)),
    h("dt", {}, "Event"),
    h("dd", {}, link(`/events/${encodeURIComponent(run.event)}`, run.trigger ? `${run.trigger.source} · ${run.trigger.type}` : shortId(run.event)), run.trigger?.subject ? ` · ${run.trigger.subject}` : ""),
    h("dt", {}, "Created"),
    h("dd", {}, time(run.created)),
    h("dt", {}, "Duration"),
    h("dd", { id: "run-duration" }, duration(run.started, run.ended) || "not started"),
    run.retryOf ? [h("dt", {}, "Retry of"), h("dd", {}, link(`/runs/${encodeURIComponent(run.retryOf)}`, shortId(run.retryOf)))] : [],
    run.concurrencyGroup !== null && run.concurrencyGroup !== undefined ? [h("dt", {}, "Concurrency group"), h("dd", { id: "run-group" }, h("code", {}, run.concurrencyGroup))] : [],
    run.summary ? [h("dt", {}, "Summary"), h("dd", {}, run.summary)] : [],
  );
  replace(page, facts);
}

function reasonBox(box) {
  const reason = run.reason;
  if (!reason) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.hidden = false;
  const where = reason.step
    ? `step ${stepKey(reason.step, reason.index)} ${String(reason.status || run.status).replace("_", " ").toLowerCase()}`
    : reason.summary || String(run.status).replace("_", " ").toLowerCase();
  const titles = { TIMED_OUT: "timed out", CANCELED: "was canceled", SKIPPED: "was skipped", QUEUED: "waits" };
  const lines = Array.isArray(reason.lines) ? reason.lines.join("\n") : reason.lines || reason.log || "";
  replace(
    box,
    h("h2", {}, "Why it ", titles[run.status] || "failed"),
    h("p", {}, where, reason.exitCode !== undefined && reason.exitCode !== null ? ` with exit code ${reason.exitCode}` : "", reason.message ? `: ${reason.message}` : ""),
    lines ? ansiBlock(lines) : null,
  );
}

function ansiBlock(text) {
  const block = h("pre", { class: "log reason-log" });
  appendAnsi(block, text, new AnsiState());
  return block;
}

function buttons(bar) {
  const act = (label, path, after) =>
    h(
      "button",
      {
        type: "button",
        id: `action-${label.toLowerCase()}`,
        onclick: async (event) => {
          event.target.disabled = true;
          try {
            const answer = await post(path);
            after(answer);
          } catch (error) {
            showError(error);
          } finally {
            event.target.disabled = false;
          }
        },
      },
      label,
    );
  const base = `/api/runs/${encodeURIComponent(runId)}`;
  const open = (answer) => location.assign(`/runs/${encodeURIComponent(answer.id)}`);
  replace(
    bar,
    ACTIVE.has(run.status) ? act("Cancel", `${base}/cancel`, () => refresh()) : null,
    act("Retry", `${base}/retry`, open),
    act("Rerun", `${base}/rerun`, open),
  );
  bar.querySelector("#action-retry").title = "a new run that keeps the steps that succeeded";
  bar.querySelector("#action-rerun").title = "a new run of every step";
}

function timeline(box) {
  const steps = (run.steps || []).filter((step) => step.started);
  if (steps.length === 0) {
    replace(box, h("p", { class: "empty" }, "No step has started yet."));
    return;
  }
  const start = Math.min(...steps.map((step) => new Date(step.started)));
  const end = Math.max(...steps.map((step) => (step.ended ? new Date(step.ended) : Date.now())));
  const span = Math.max(1, end - start);
  const rows = steps.map((step) => {
    const from = new Date(step.started) - start;
    const to = (step.ended ? new Date(step.ended) : Date.now()) - start;
    const bar = h("span", { class: `bar state-${step.status}`, title: `${stepKey(step.name, stepIndex(step))}: ${step.status}, ${formatMillis(to - from)}` });
    bar.style.left = `${(100 * from) / span}%`;
    bar.style.width = `${Math.max(0.5, (100 * (to - from)) / span)}%`;
    return h(
      "li",
      { "data-step": step.name, "data-index": stepIndex(step) ?? "" },
      h("button", { type: "button", class: "step-link", onclick: () => choose(step.name, stepIndex(step)) }, stepKey(step.name, stepIndex(step))),
      h("span", { class: "lane" }, bar),
      h("span", { class: "took" }, badge(step.status), " ", formatMillis(to - from)),
    );
  });
  replace(box, h("ol", { class: "timeline" }, rows), h("p", { class: "scale" }, `0 — ${formatMillis(span)}`));
}

function findStep(name, index) {
  const matching = (run.steps || []).filter((step) => step.name === name && (index === null || index === undefined || String(stepIndex(step)) === String(index)));
  return matching.sort((a, b) => (b.attempt || 0) - (a.attempt || 0))[0];
}

function defaultStep() {
  if (run.reason?.step) {
    return [run.reason.step, run.reason.index ?? null];
  }
  const steps = run.steps || [];
  const running = steps.find((step) => step.status === "RUNNING");
  const pick = running || steps.find((step) => step.started) || steps[0];
  return pick ? [pick.name, stepIndex(pick)] : [null, null];
}

function choose(name, index) {
  const url = withQuery(location.pathname, { step: name, index });
  history.replaceState(null, "", url);
  chosen.step = name;
  chosen.index = index;
  showLog();
  drawAll();
}

function showLog() {
  const name = chosen.step;
  const index = chosen.index ?? null;
  const heading = document.getElementById("log-heading");
  const download = document.getElementById("log-download");
  if (!name) {
    heading.textContent = "Log";
    download.hidden = true;
    return;
  }
  const step = findStep(name, index);
  const state = step ? step.status : ACTIVE.has(run.status) ? "PENDING" : "SKIPPED";
  replace(heading, "Log of ", h("code", {}, stepKey(name, index)), " ", badge(state));
  download.hidden = false;
  download.href = logPath(name, index);
  download.setAttribute("download", `${runId}-${stepKey(name, index).replace(" ", "-")}.log`);
  const live = state === "RUNNING" || (state === "PENDING" && ACTIVE.has(run.status));
  const key = `${name}|${index}|${live}|${step?.attempt}`;
  if (following === key) {
    return;
  }
  following = key;
  if (!step && !live) {
    logView.stop();
    document.getElementById("log").replaceChildren(document.createTextNode("This step did not run."));
    return;
  }
  logView.show(logPath(name, index), live);
}

function drawAll() {
  drawGraph(document.getElementById("graph"), run.graph, {
    expanded,
    selected: chosen.step,
    onStep: (node) => choose(node.name, null),
    onItem: (node, item) => {
      const step = findFirstStep(node);
      if (step) {
        choose(step, item.index);
      }
    },
  });
  timeline(document.getElementById("timeline"));
}

function findFirstStep(node) {
  for (const child of node.children || []) {
    if (child.kind === "step") {
      return child.name;
    }
    const inner = findFirstStep(child);
    if (inner) {
      return inner;
    }
  }
  return null;
}

async function showEvent(box) {
  try {
    const event = await getJson(`/api/events/${encodeURIComponent(run.event)}`);
    replace(box, h("summary", {}, "Event ", h("code", {}, event.type || ""), " from ", event.source || ""), h("pre", { class: "json" }, JSON.stringify(event, null, 2)));
  } catch (error) {
    replace(box, h("summary", {}, "Event"), h("p", {}, error.message));
  }
}

let refreshing = null;
let again = false;

/**
 * Reads the run again and redraws the page. A refresh asked for while one is under way runs once
 * more after it: the one under way may have read the run before the change that asked.
 */
async function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      try {
        run = await getJson(`/api/runs/${encodeURIComponent(runId)}`);
        summary(document.getElementById("summary"));
        reasonBox(document.getElementById("reason"));
        buttons(document.getElementById("actions"));
        drawAll();
        showLog();
      } catch (error) {
        showError(error);
      }
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

async function main() {
  const page = await layout("runs", `Run ${shortId(runId)}`);
  page.append(
    h("section", { id: "summary", class: "summary" }),
    h("div", { id: "actions", class: "actions" }),
    h("section", { id: "reason", class: "reason", hidden: true, role: "note" }),
    h("section", { class: "picture" }, h("h2", {}, "Pipeline"), h("div", { id: "graph", class: "graph-box" })),
    h("section", {}, h("h2", {}, "Timeline"), h("div", { id: "timeline" })),
    h(
      "section",
      { class: "log-panel" },
      h("div", { class: "log-head" }, h("h2", { id: "log-heading" }, "Log"), h("span", { id: "log-status", class: "log-status", "aria-live": "polite" }), h("a", { id: "log-download", hidden: true }, "raw log")),
      h("pre", { id: "log", class: "log", tabindex: "0" }),
    ),
    h("details", { id: "event", class: "event" }),
  );
  logView = new LogView(document.getElementById("log"), document.getElementById("log-status"));
  stream(withQuery("/api/stream", { run: runId }), {
    run: (data) => {
      if (JSON.parse(data).id === runId) {
        refresh();
      }
    },
    step: (data) => {
      const step = JSON.parse(data);
      if ((step.run || step.runId) === runId) {
        refresh();
      }
    },
  });
  try {
    run = await getJson(`/api/runs/${encodeURIComponent(runId)}`);
  } catch (error) {
    showError(error);
    return;
  }
  if (!chosen.step) {
    const [name, index] = defaultStep();
    chosen.step = name;
    chosen.index = index;
  }
  summary(document.getElementById("summary"));
  reasonBox(document.getElementById("reason"));
  buttons(document.getElementById("actions"));
  drawAll();
  showLog();
  showEvent(document.getElementById("event"));
  setInterval(() => {
    if (run && ACTIVE.has(run.status)) {
      document.getElementById("run-duration").textContent = duration(run.started, null);
    }
  }, 1000);
}

main();
