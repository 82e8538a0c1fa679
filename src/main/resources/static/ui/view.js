// Building the pages: elements from data only through text nodes and attributes (never HTML
// text), the states with a colour, an icon and their name, times and durations.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

export const STATES = {
  PENDING: "○",
  QUEUED: "◔",
  RUNNING: "●",
  SUCCEEDED: "✓",
  FAILED: "✗",
  TIMED_OUT: "⧗",
  CANCELED: "⊘",
  SKIPPED: "↷",
};

export function stateIcon(state) {
  return STATES[state] || "?";
}

/** A state as a badge: colour, icon and the state's name, readable without the colour. */
export function badge(state) {
  const name = state || "UNKNOWN";
  return h(
    "span",
    { class: `badge state-${name}`, "data-state": name },
    h("span", { class: "icon", "aria-hidden": "true" }, stateIcon(name)),
    " ",
    name.replace("_", " "),
  );
}

export function time(value) {
  if (!value) {
    return "";
  }
  const date = new Date(value);
  return h("time", { datetime: value, title: date.toISOString() }, date.toLocaleString());
}

export function duration(start, end) {
  if (!start) {
    return "";
  }
  const millis = (end ? new Date(end) : new Date()) - new Date(start);
  return formatMillis(Math.max(0, millis));
}

export function formatMillis(millis) {
  if (millis < 1000) {
    return `${millis} ms`;
  }
  const seconds = Math.round(millis / 1000);
  if (seconds < 60) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m ${seconds % 60}s`;
  }
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export function link(href, ...children) {
  return h("a", { href }, ...children);
}

export function shortId(id) {
  return id && id.length > 13 ? id.slice(0, 8) + "…" + id.slice(-4) : id;
}

/** Shows an error of an action or a load in the page's message area. */
export function showError(error) {
  const area = document.getElementById("messages");
  if (!area) {
    return;
  }
  area.append(
    h(
      "div",
      { class: "message error", role: "alert" },
      error.error ? h("strong", {}, error.error) : h("strong", {}, "error"),
      error.detail ? ` — ${error.detail}` : error.error ? "" : ` — ${error.message}`,
    ),
  );
}

export function showNotice(text, href) {
  const area = document.getElementById("messages");
  if (!area) {
    return;
  }
  area.append(h("div", { class: "message notice", role: "status" }, text, href ? [" ", link(href, "open")] : []));
}
