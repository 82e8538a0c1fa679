// The events page: every event Caravan accepted, newest first, filtered by source, type and
// subject.

import { getJson, query, withQuery } from "./api.js";
import { layout } from "./layout.js";
import { h, link, replace, shortId, showError, time } from "./view.js";

const PAGE = 50;
const filters = query();
const offset = Number(filters.offset || 0);

async function main() {
  const page = await layout("events", "Events");
  page.append(
    h(
      "form",
      { class: "filters", method: "get", action: "/events" },
      ["source", "type", "subject"].map((name) =>
        h("label", {}, name[0].toUpperCase() + name.slice(1), h("input", { name, value: filters[name] || "" })),
      ),
      h("button", { type: "submit" }, "Filter"),
      h("a", { href: "/events", class: "clear" }, "clear"),
    ),
  );
  const body = h("tbody", { id: "events" });
  page.append(
    h(
      "table",
      { class: "list events" },
      h("thead", {}, h("tr", {}, ["Event", "Source", "Type", "Subject", "Time"].map((name) => h("th", { scope: "col" }, name)))),
      body,
    ),
  );
  const pager = h("nav", { class: "pager", "aria-label": "pages" });
  page.append(pager);
  try {
    const answer = await getJson(withQuery("/api/events", { source: filters.source, type: filters.type, subject: filters.subject, limit: PAGE, offset }));
    for (const event of answer.items) {
      body.append(
        h(
          "tr",
          { "data-event": event.id },
          h("td", {}, link(`/events/${encodeURIComponent(event.id)}`, shortId(event.id))),
          h("td", {}, event.source),
          h("td", {}, event.type),
          h("td", {}, event.subject || ""),
          h("td", {}, time(event.time)),
        ),
      );
    }
    if (answer.items.length === 0) {
      body.append(h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No events.")));
    }
    replace(
      pager,
      offset > 0 ? link(withQuery("/events", { ...filters, offset: Math.max(0, offset - PAGE) }), "← newer") : null,
      answer.total !== undefined ? h("span", { class: "count" }, ` ${answer.total} events `) : " ",
      answer.items.length === PAGE ? link(withQuery("/events", { ...filters, offset: offset + PAGE }), "older →") : null,
    );
  } catch (error) {
    showError(error);
  }
}

main();
