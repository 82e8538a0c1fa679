// The pipelines page: every pipeline, the events it subscribes to, and its state.

import { getJson } from "./api.js";
import { layout } from "./layout.js";
import { h, link, showError } from "./view.js";

async function main() {
  const page = await layout("pipelines", "Pipelines");
  const body = h("tbody", { id: "pipelines" });
  page.append(
    h(
      "table",
      { class: "list pipelines" },
      h("thead", {}, h("tr", {}, ["Pipeline", "Source", "Types", "Subject", "State", "Concurrency"].map((name) => h("th", { scope: "col" }, name)))),
      body,
    ),
  );
  try {
    const answer = await getJson("/api/pipelines");
    for (const pipeline of answer.items) {
      body.append(
        h(
          "tr",
          { "data-pipeline": pipeline.id },
          h("td", {}, link(`/pipelines/${encodeURIComponent(pipeline.id)}`, pipeline.id)),
          h("td", {}, pipeline.source),
          h("td", {}, (pipeline.types || []).join(", ") || "any"),
          h("td", {}, pipeline.subject || "any"),
          h("td", {}, h("span", { class: "badge plain" }, String(pipeline.status || "").toUpperCase())),
          h("td", {}, pipeline.concurrency ?? ""),
        ),
      );
    }
    if (answer.items.length === 0) {
      body.append(h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No pipeline is loaded.")));
    }
  } catch (error) {
    showError(error);
  }
}

main();
