// An event's page: the CloudEvent as Caravan stored it, the runs it started, and replay.

import { getJson, post } from "./api.js";
import { layout } from "./layout.js";
import { badge, h, link, replace, shortId, showError, showNotice, time } from "./view.js";

const eventId = decodeURIComponent(location.pathname.split("/")[2]);

async function showRuns(body) {
  const answer = await getJson(`/api/events/${encodeURIComponent(eventId)}/runs`);
  replace(
    body,
    answer.items.length === 0
      ? h("tr", {}, h("td", { colspan: 4, class: "empty" }, "This event started no run."))
      : answer.items.map((run) =>
          h(
            "tr",
            { "data-run": run.id },
            h("td", {}, link(`/runs/${encodeURIComponent(run.id)}`, shortId(run.id))),
            h("td", {}, link(`/pipelines/${encodeURIComponent(run.pipeline)}`, run.pipeline)),
            h("td", {}, badge(run.status)),
            h("td", {}, time(run.created)),
          ),
        ),
  );
}

async function main() {
  const page = await layout("events", `Event ${shortId(eventId)}`);
  let event;
  try {
    event = await getJson(`/api/events/${encodeURIComponent(eventId)}`);
  } catch (error) {
    showError(error);
    return;
  }
  const runs = h("tbody", { id: "event-runs" });
  page.append(
    h("dl", { class: "facts" }, h("dt", {}, "Source"), h("dd", {}, event.source), h("dt", {}, "Type"), h("dd", {}, event.type), h("dt", {}, "Subject"), h("dd", {}, event.subject || ""), h("dt", {}, "Time"), h("dd", {}, time(event.time))),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          id: "action-replay",
          title: "a new run of every pipeline subscribed to this event",
          onclick: async (click) => {
            click.target.disabled = true;
            try {
              const answer = await post(`/api/events/${encodeURIComponent(eventId)}/replay`);
              showNotice(`Replayed: ${(answer.runs || []).length} new run(s).`);
              await showRuns(runs);
            } catch (error) {
              showError(error);
            } finally {
              click.target.disabled = false;
            }
          },
        },
        "Replay",
      ),
    ),
    h("h2", {}, "Runs"),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, ["Run", "Pipeline", "Status", "Created"].map((name) => h("th", { scope: "col" }, name)))), runs),
    h("h2", {}, "CloudEvent"),
    h("pre", { class: "json", id: "cloudevent" }, JSON.stringify(event, null, 2)),
  );
  try {
    await showRuns(runs);
  } catch (error) {
    showError(error);
  }
}

main();
