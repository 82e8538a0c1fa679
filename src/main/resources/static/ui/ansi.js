// ANSI colours of a log (SGR: bold, italic, underline, the 16 colours and their bright forms) as
// spans with classes; every other escape sequence is dropped. Text is only ever a text node.

const ESCAPE = /\x1b\[([0-9;]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export class AnsiState {
  constructor() {
    this.reset();
  }

  reset() {
    this.fg = null;
    this.bg = null;
    this.bold = false;
    this.italic = false;
    this.underline = false;
  }

  apply(codes) {
    const list = codes === "" ? [0] : codes.split(";").map(Number);
    for (let i = 0; i < list.length; i++) {
      const code = list[i];
      if (code === 0) {
        this.reset();
      } else if (code === 1) {
        this.bold = true;
      } else if (code === 3) {
        this.italic = true;
      } else if (code === 4) {
        this.underline = true;
      } else if (code === 22) {
        this.bold = false;
      } else if (code === 23) {
        this.italic = false;
      } else if (code === 24) {
        this.underline = false;
      } else if (code >= 30 && code <= 37) {
        this.fg = code - 30;
      } else if (code >= 90 && code <= 97) {
        this.fg = code - 90 + 8;
      } else if (code === 39) {
        this.fg = null;
      } else if (code >= 40 && code <= 47) {
        this.bg = code - 40;
      } else if (code >= 100 && code <= 107) {
        this.bg = code - 100 + 8;
      } else if (code === 49) {
        this.bg = null;
      } else if (code === 38 || code === 48) {
        // 256 colours or true colour: skip their arguments
        i += list[i + 1] === 5 ? 2 : 4;
      }
    }
  }

  classes() {
    const names = [];
    if (this.fg !== null) {
      names.push(`ansi-fg-${this.fg}`);
    }
    if (this.bg !== null) {
      names.push(`ansi-bg-${this.bg}`);
    }
    if (this.bold) {
      names.push("ansi-bold");
    }
    if (this.italic) {
      names.push("ansi-italic");
    }
    if (this.underline) {
      names.push("ansi-underline");
    }
    return names.join(" ");
  }
}

/** Appends one piece of log text to the element, coloured as its escapes say. */
export function appendAnsi(element, text, state) {
  let last = 0;
  const put = (piece) => {
    if (!piece) {
      return;
    }
    const classes = state.classes();
    if (classes) {
      const span = document.createElement("span");
      span.className = classes;
      span.textContent = piece;
      element.append(span);
    } else {
      element.append(document.createTextNode(piece));
    }
  };
  ESCAPE.lastIndex = 0;
  let match;
  while ((match = ESCAPE.exec(text)) !== null) {
    put(text.slice(last, match.index));
    if (match[2] === "m") {
      state.apply(match[1]);
    }
    last = ESCAPE.lastIndex;
  }
  put(text.slice(last));
}
