// The runs page: newest first, filtered by pipeline, status, event and time, kept live by the
// API's change stream (new runs and changes of state appear without a reload).

import { getJson, query, stream, withQuery } from "./api.js";
import { layout } from "./layout.js";
import { badge, duration, h, link, replace, shortId, showError, time } from "./view.js";

const PAGE = 50;
const STATUSES = ["PENDING", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELED", "SKIPPED"];

const filters = query();
const offset = Number(filters.offset || 0);
const rows = new Map();

function trigger(run) {
  const t = run.trigger;
  if (!t) {
    return link(`/events/${encodeURIComponent(run.event)}`, shortId(run.event));
  }
  return h(
    "span",
    { class: "trigger" },
    h("span", { class: "source" }, t.source),
    " · ",
    link(`/events/${encodeURIComponent(run.event)}`, t.type),
    t.subject ? [" · ", h("span", { class: "subject" }, t.subject)] : [],
  );
}

function row(run) {
  return h(
    "tr",
    { "data-run": run.id, "data-status": run.status },
    h("td", {}, link(`/runs/${encodeURIComponent(run.id)}`, shortId(run.id))),
    h("td", {}, link(`/pipelines/${encodeURIComponent(run.pipeline)}`, run.pipeline)),
    h("td", {}, trigger(run)),
    h("td", { class: "status" }, badge(run.status)),
    h("td", {}, time(run.started || run.created)),
    h("td", { class: "duration", "data-started": run.started || "", "data-ended": run.ended || "" }, duration(run.started, run.ended)),
  );
}

function matches(run) {
  if (filters.pipeline && run.pipeline !== filters.pipeline) {
    return false;
  }
  if (filters.status && run.status !== filters.status.toUpperCase()) {
    return false;
  }
  if (filters.event && run.event !== filters.event) {
    return false;
  }
  if (filters.until || offset > 0) {
    return false;
  }
  return !(filters.since && new Date(run.created) < new Date(filters.since));
}

function upsert(body, run) {
  const existing = rows.get(run.id);
  if (existing) {
    if (!matches({ ...existing.run, ...run })) {
      existing.element.remove();
      rows.delete(run.id);
      return;
    }
    const merged = { ...existing.run, ...run };
    const element = row(merged);
    existing.element.replaceWith(element);
    rows.set(run.id, { run: merged, element });
  } else if (matches(run)) {
    const element = row(run);
    body.prepend(element);
    rows.set(run.id, { run, element });
    document.getElementById("empty")?.remove();
  }
}

function filterForm(pipelines) {
  const select = (name, label, options) =>
    h(
      "label",
      {},
      label,
      h(
        "select",
        { name },
        h("option", { value: "" }, "any"),
        options.map((value) => h("option", { value, selected: filters[name] === value }, value)),
      ),
    );
  return h(
    "form",
    { class: "filters", method: "get", action: "/" },
    select("pipeline", "Pipeline", pipelines),
    select("status", "Status", STATUSES),
    h("label", {}, "Event", h("input", { name: "event", value: filters.event || "", placeholder: "event id" })),
    h("label", {}, "Since", h("input", { name: "since", type: "datetime-local", value: filters.since || "" })),
    h("label", {}, "Until", h("input", { name: "until", type: "datetime-local", value: filters.until || "" })),
    h("button", { type: "submit" }, "Filter"),
    h("a", { href: "/", class: "clear" }, "clear"),
  );
}

function isoOrNull(local) {
  return local ? new Date(local).toISOString() : null;
}

async function main() {
  const page = await layout("runs", "Runs");
  let pipelines = [];
  try {
    pipelines = (await getJson("/api/pipelines")).items.map((pipeline) => pipeline.id);
  } catch (error) {
    showError(error);
  }
  page.append(filterForm(pipelines));
  const body = h("tbody", { id: "runs" });
  const table = h(
    "table",
    { class: "list runs" },
    h("thead", {}, h("tr", {}, ["Run", "Pipeline", "Trigger", "Status", "Started", "Duration"].map((name) => h("th", { scope: "col" }, name)))),
    body,
  );
  page.append(table);
  const pager = h("nav", { class: "pager", "aria-label": "pages" });
  page.append(pager);
  // the stream first, so that nothing changed while the page loads is missed
  stream(withQuery("/api/stream", { pipeline: filters.pipeline }), {
    run: (data) => upsert(body, JSON.parse(data)),
  });
  try {
    const answer = await getJson(
      withQuery("/api/runs", {
        pipeline: filters.pipeline,
        status: filters.status,
        event: filters.event,
        since: isoOrNull(filters.since),
        until: isoOrNull(filters.until),
        limit: PAGE,
        offset,
      }),
    );
    for (const run of answer.items.slice().reverse()) {
      if (!rows.has(run.id)) {
        const element = row(run);
        body.prepend(element);
        rows.set(run.id, { run, element });
      }
    }
    if (answer.items.length === 0 && rows.size === 0) {
      body.append(h("tr", { id: "empty" }, h("td", { colspan: 6, class: "empty" }, "No runs yet. Send an event, or start one from a pipeline's page.")));
    }
    const total = answer.total;
    replace(
      pager,
      offset > 0 ? link(withQuery("/", { ...filters, offset: Math.max(0, offset - PAGE) }), "← newer") : null,
      total !== undefined ? h("span", { class: "count" }, ` ${offset + 1}–${offset + answer.items.length} of ${total} `) : " ",
      answer.items.length === PAGE ? link(withQuery("/", { ...filters, offset: offset + PAGE }), "older →") : null,
    );
  } catch (error) {
    showError(error);
  }
  setInterval(() => {
    for (const cell of body.querySelectorAll("td.duration")) {
      if (cell.dataset.started && !cell.dataset.ended) {
        cell.textContent = duration(cell.dataset.started, null);
      }
    }
  }, 1000);
}

main();
