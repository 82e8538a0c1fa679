// The REST API as the pages use it: same origin, the session cookie (when a token is set), the
// session's CSRF token on unsafe requests, errors in the API's {"error", "detail"} shape.

let session;

export async function currentSession() {
  if (!session) {
    const answer = await fetch("/session", { headers: { Accept: "application/json" } });
    session = await answer.json();
  }
  return session;
}

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail ? `${error}: ${detail}` : error);
    this.status = status;
    this.error = error;
    this.detail = detail;
  }
}

function toLogin() {
  const here = location.pathname + location.search;
  location.assign("/login?next=" + encodeURIComponent(here));
}

async function failure(answer) {
  if (answer.status === 401) {
    toLogin();
  }
  let error = `HTTP ${answer.status}`;
  let detail = "";
  try {
    const body = await answer.json();
    error = body.error || error;
    detail = body.detail || "";
  } catch (notJson) {
    // the status says enough
  }
  return new ApiError(answer.status, error, detail);
}

export async function getJson(path) {
  const answer = await fetch(path, { headers: { Accept: "application/json" } });
  if (!answer.ok) {
    throw await failure(answer);
  }
  return answer.json();
}

export async function getText(path) {
  const answer = await fetch(path, { headers: { Accept: "text/plain" } });
  if (!answer.ok) {
    throw await failure(answer);
  }
  return answer.text();
}

/** POSTs JSON (or nothing) and answers the parsed JSON answer. */
export async function post(path, body) {
  const headers = { Accept: "application/json" };
  const { csrf } = await currentSession();
  if (csrf) {
    headers[csrf.header] = csrf.token;
  }
  const init = { method: "POST", headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const answer = await fetch(path, init);
  if (!answer.ok) {
    throw await failure(answer);
  }
  const text = await answer.text();
  return text ? JSON.parse(text) : {};
}

/**
 * Follows a Server-Sent Events stream: calls on[name](data, event) for each event; the browser
 * reconnects by itself, with Last-Event-ID, when the connection drops. Answers the EventSource.
 */
export function stream(path, on) {
  const source = new EventSource(path);
  // a browser allows a handful of connections per server: give this one back as the page goes
  window.addEventListener("pagehide", () => source.close());
  for (const [name, handle] of Object.entries(on)) {
    source.addEventListener(name, (event) => handle(event.data, event));
  }
  return source;
}

/** The query string of the page as an object of its non-empty parameters. */
export function query() {
  const found = {};
  for (const [key, value] of new URLSearchParams(location.search)) {
    if (value !== "") {
      found[key] = value;
    }
  }
  return found;
}

export function withQuery(path, params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") {
      search.set(key, value);
    }
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
