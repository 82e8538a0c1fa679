// A step's log on the page: the stored log of an ended step, or the live log of a running one
// (the API's follow=true stream, read as it comes), with ANSI colours; at most MAX_NODES pieces
// stay on screen (the raw download has it all).

import { AnsiState, appendAnsi } from "./ansi.js";

const MAX_NODES = 20000;

export class LogView {
  constructor(element, status) {
    this.element = element;
    this.status = status;
    this.abort = null;
    window.addEventListener("pagehide", () => this.stop());
  }

  stop() {
    if (this.abort) {
      this.abort.abort();
      this.abort = null;
    }
  }

  /** Shows the log at path (the API's log URL of a step or a run); follows it when live. */
  async show(path, live) {
    this.stop();
    this.element.replaceChildren();
    const ansi = new AnsiState();
    const abort = new AbortController();
    this.abort = abort;
    const url = live ? `${path}${path.includes("?") ? "&" : "?"}follow=true` : path;
    this.status.textContent = live ? "following…" : "";
    try {
      const answer = await fetch(url, { headers: { Accept: "text/plain" }, signal: abort.signal });
      if (!answer.ok) {
        let detail = `HTTP ${answer.status}`;
        try {
          const body = await answer.json();
          detail = `${body.error}${body.detail ? " — " + body.detail : ""}`;
        } catch (notJson) {
          // keep the status
        }
        this.status.textContent = detail;
        return;
      }
      const reader = answer.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        this.append(decoder.decode(value, { stream: true }), ansi);
      }
      this.append(decoder.decode(), ansi);
      if (this.abort === abort) {
        this.status.textContent = live ? "ended" : "";
      }
    } catch (error) {
      if (error.name !== "AbortError") {
        this.status.textContent = `log stopped: ${error.message}`;
      }
    }
  }

  append(text, ansi) {
    if (!text) {
      return;
    }
    const atBottom = this.element.scrollTop + this.element.clientHeight >= this.element.scrollHeight - 4;
    appendAnsi(this.element, text, ansi);
    while (this.element.childNodes.length > MAX_NODES) {
      this.element.firstChild.remove();
    }
    if (atBottom) {
      this.element.scrollTop = this.element.scrollHeight;
    }
  }
}
