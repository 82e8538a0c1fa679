// What every page has: the navigation, the sign-out button (with a token configured), the
// message area, and a check that the browser is signed in.

import { currentSession } from "./api.js";
import { h } from "./view.js";

const SECTIONS = [
  ["/", "Runs", "runs"],
  ["/events", "Events", "events"],
  ["/pipelines", "Pipelines", "pipelines"],
];

export async function layout(section, heading) {
  const session = await currentSession();
  if (session.tokenRequired && !session.authenticated) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    return new Promise(() => {});
  }
  const nav = h(
    "nav",
    { "aria-label": "sections" },
    SECTIONS.map(([href, name, key]) =>
      h("a", { href, "aria-current": key === section ? "page" : null }, name),
    ),
  );
  const header = h("header", { class: "top" }, h("a", { class: "brand", href: "/" }, "Caravan"), nav);
  if (session.tokenRequired) {
    header.append(
      h(
        "form",
        { method: "post", action: "/logout", class: "logout" },
        session.csrf ? h("input", { type: "hidden", name: "_csrf", value: session.csrf.token }) : null,
        h("button", { type: "submit" }, "Sign out"),
      ),
    );
  }
  document.body.prepend(header);
  const main = document.getElementById("main");
  main.prepend(h("div", { id: "messages", "aria-live": "polite" }));
  if (heading) {
    main.prepend(h("h1", {}, heading));
  }
  document.title = `${heading || section} · Caravan`;
  return main;
}
