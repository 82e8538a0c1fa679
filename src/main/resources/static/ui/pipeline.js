// A pipeline's page: its subscription, its graph, its last runs, and "run now" with an event of
// the user's own.

import { getJson, post, withQuery } from "./api.js";
import { drawGraph } from "./graph.js";
import { layout } from "./layout.js";
import { badge, duration, h, link, replace, shortId, showError, time } from "./view.js";

const pipelineId = decodeURIComponent(location.pathname.split("/")[2]);

function runNow() {
  const data = h("textarea", { id: "run-data", name: "data", rows: 8, spellcheck: "false", "aria-label": "event data (JSON)" }, "{}");
  const type = h("input", { id: "run-type", name: "type", placeholder: "manual" });
  const subject = h("input", { id: "run-subject", name: "subject", placeholder: "optional" });
  const problem = h("p", { class: "message error", role: "alert", hidden: true });
  const form = h(
    "form",
    {
      class: "run-now",
      id: "run-now",
      onsubmit: async (submit) => {
        submit.preventDefault();
        problem.hidden = true;
        try {
          JSON.parse(data.value);
        } catch (notJson) {
          problem.textContent = `The event data is not JSON: ${notJson.message}`;
          problem.hidden = false;
          return;
        }
        try {
          const answer = await post(withQuery(`/api/pipelines/${encodeURIComponent(pipelineId)}/runs`, { type: type.value, subject: subject.value }), data.value);
          location.assign(`/runs/${encodeURIComponent(answer.run.id)}`);
        } catch (error) {
          problem.textContent = `${error.error}${error.detail ? " — " + error.detail : ""}`;
          problem.hidden = false;
        }
      },
    },
    h("h2", {}, "Run now"),
    h("label", { for: "run-data" }, "Event data (JSON)"),
    data,
    h("div", { class: "inline" }, h("label", {}, "Type ", type), h("label", {}, "Subject ", subject)),
    problem,
    h("button", { type: "submit", id: "action-run" }, "Run now"),
  );
  return form;
}

async function main() {
  const page = await layout("pipelines", `Pipeline ${pipelineId}`);
  let pipeline;
  try {
    pipeline = await getJson(`/api/pipelines/${encodeURIComponent(pipelineId)}`);
  } catch (error) {
    showError(error);
    return;
  }
  const runs = h("tbody", { id: "pipeline-runs" });
  page.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Source"),
      h("dd", {}, pipeline.source),
      h("dt", {}, "Types"),
      h("dd", {}, (pipeline.types || []).join(", ") || "any"),
      h("dt", {}, "Subject"),
      h("dd", {}, pipeline.subject || "any"),
      h("dt", {}, "State"),
      h("dd", {}, String(pipeline.status || "").toUpperCase()),
    ),
    h("section", { class: "picture" }, h("h2", {}, "Graph"), h("div", { id: "graph", class: "graph-box" })),
    h("h2", {}, "Last runs"),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, ["Run", "Status", "Started", "Duration"].map((name) => h("th", { scope: "col" }, name)))), runs),
    pipeline.active === false ? h("p", {}, "This pipeline's route is gone; it cannot be run.") : runNow(),
  );
  drawGraph(document.getElementById("graph"), pipeline.graph, {});
  try {
    const answer = await getJson(withQuery("/api/runs", { pipeline: pipelineId, limit: 10 }));
    replace(
      runs,
      answer.items.length === 0
        ? h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No runs yet."))
        : answer.items.map((run) =>
            h("tr", { "data-run": run.id }, h("td", {}, link(`/runs/${encodeURIComponent(run.id)}`, shortId(run.id))), h("td", {}, badge(run.status)), h("td", {}, time(run.started || run.created)), h("td", {}, duration(run.started, run.ended))),
          ),
    );
  } catch (error) {
    showError(error);
  }
}

main();
