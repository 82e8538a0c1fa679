// A pipeline's graph as an SVG picture. The graphs are series-parallel trees, so a small
// recursive layout draws them: a sequence stacks its children top to bottom, a parallel, a choice
// and a try put theirs side by side, a split is a stack of its items (the counts per state on its
// frame, the items listed when expanded), other containers frame their children. Every node shows
// its state by colour and by icon and name, and a step can be chosen by click or keyboard.

import { stateIcon } from "./view.js";

const SVG = "http://www.w3.org/2000/svg";
const STEP = { w: 200, h: 50 };
const LEAF = { h: 24 };
const GAP = 18;
const PAD = 10;
const HEADER = 22;
const SIDE_BY_SIDE = new Set(["parallel", "choice", "try"]);

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function clip(text, max) {
  const value = text == null ? "" : String(text);
  return value.length > max ? value.slice(0, max - 1) + "…" : value;
}

/** Consecutive leaf processors (setHeader, log, ...) are drawn as one small box. */
function compact(children) {
  const out = [];
  let run = [];
  const flush = () => {
    if (run.length === 1) {
      out.push(run[0]);
    } else if (run.length > 1) {
      out.push({ kind: "others", label: `${run.length} processors`, members: run, children: [] });
    }
    run = [];
  };
  for (const child of children || []) {
    if (child.kind === "other" && (!child.children || child.children.length === 0)) {
      run.push(child);
    } else {
      flush();
      out.push(child);
    }
  }
  flush();
  return out;
}

function measure(node, expanded) {
  const children = compact(node.children);
  node._children = children;
  if (node.kind === "step") {
    node._size = { ...STEP };
  } else if ((node.kind === "other" || node.kind === "others") && children.length === 0) {
    node._size = { w: Math.min(STEP.w, 40 + 6.5 * clip(node.label, 28).length), h: LEAF.h };
  } else if (node.kind === "sequence" && node._root) {
    const sizes = children.map((child) => measure(child, expanded));
    node._size = {
      w: Math.max(STEP.w, ...sizes.map((s) => s.w)),
      h: sizes.reduce((sum, s) => sum + s.h, 0) + GAP * Math.max(0, sizes.length - 1),
    };
  } else {
    const sizes = children.map((child) => measure(child, expanded));
    const across = SIDE_BY_SIDE.has(node.kind);
    let w;
    let h;
    if (across) {
      w = sizes.reduce((sum, s) => sum + s.w, 0) + GAP * Math.max(0, sizes.length - 1);
      h = Math.max(0, ...sizes.map((s) => s.h));
    } else {
      w = Math.max(0, ...sizes.map((s) => s.w));
      h = sizes.reduce((sum, s) => sum + s.h, 0) + GAP * Math.max(0, sizes.length - 1);
    }
    let items = 0;
    if (node.kind === "split" && expanded.has(path(node)) && node.items) {
      items = itemsHeight(node.items, Math.max(w, STEP.w));
    }
    const header = textWidth(headerText(node)) + textWidth(frameState(node)) + 24;
    node._size = {
      w: Math.max(w + 2 * PAD, header, 160 + 2 * PAD),
      h: h + 2 * PAD + HEADER + items,
    };
    node._itemsHeight = items;
  }
  return node._size;
}

/** About how wide a text of the frames' 11px labels is. */
function textWidth(text) {
  return 6.8 * (text ? text.length : 0);
}

function frameState(node) {
  return [node.state && node.state !== "NONE" ? `${stateIcon(node.state)} ${node.state.replace("_", " ")}` : "", countsText(node.counts)]
    .filter(Boolean)
    .join("   ");
}

function itemsHeight(items, width) {
  const perRow = Math.max(1, Math.floor(width / 64));
  return Math.ceil(items.length / perRow) * 26 + 8;
}

function path(node) {
  return node._path;
}

function assignPaths(node, prefix) {
  node._path = prefix;
  (node.children || []).forEach((child, i) => assignPaths(child, `${prefix}/${i}`));
}

function countsText(counts) {
  if (!counts) {
    return "";
  }
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${stateIcon(state)}`)
    .join("  ");
}

function title(node) {
  const lines = [`${node.kind}: ${node.label || node.name || ""}`];
  if (node.state) {
    lines.push(`state: ${node.state}`);
  }
  if (node.image) {
    lines.push(`image: ${node.image}`);
  }
  if (node.script) {
    lines.push(`script: ${node.script}`);
  }
  if (node.expression) {
    lines.push(`expression: ${node.expression}`);
  }
  if (node.condition) {
    lines.push(`when: ${node.condition}`);
  }
  if (node.members) {
    lines.push(...node.members.map((member) => member.label));
  }
  if (node.counts) {
    lines.push(countsText(node.counts));
  }
  return svg("title", {}, lines.join("\n"));
}

function headerText(node) {
  switch (node.kind) {
    case "split":
      return `split ${clip(node.expression || node.label, 40)}`;
    case "when":
      return `when ${clip(node.condition || node.label, 40)}`;
    default:
      return clip(node.label || node.kind, 44);
  }
}

function draw(node, x, y, context) {
  const state = node.state || "NONE";
  const group = svg("g", {
    class: `node kind-${node.kind} state-${state}`,
    "data-kind": node.kind,
    "data-name": node.name || "",
    "data-state": state,
    transform: `translate(${x},${y})`,
  });
  group.append(title(node));
  const { w, h } = node._size;
  if (node.kind === "step") {
    drawStep(node, group, w, h, context);
  } else if (node._children.length === 0) {
    group.append(svg("rect", { class: "leaf", width: w, height: h, rx: 12 }));
    group.append(
      svg("text", { x: 10, y: 16, class: "leaf-label" }, clip(node.label, 28)),
    );
    if (node.state && node.state !== "NONE") {
      group.append(svg("text", { x: w - 8, y: 16, class: "state-icon", "text-anchor": "end" }, stateIcon(node.state)));
    }
  } else if (node.kind === "sequence" && node._root) {
    drawChildren(node, group, 0, 0, w, context);
  } else {
    drawFrame(node, group, w, h, context);
  }
  return group;
}

function drawStep(node, group, w, h, context) {
  group.setAttribute("tabindex", "0");
  group.setAttribute("role", "button");
  group.setAttribute("aria-label", `step ${node.name}, ${node.state || "not run"}`);
  group.append(svg("rect", { class: "box", width: w, height: h, rx: 6 }));
  group.append(svg("text", { x: 10, y: 20, class: "step-name" }, clip(node.name, 22)));
  const detail =
    node.state && node.state !== "NONE" ? node.state.replace("_", " ") : clip(node.image || node.script || "", 30);
  group.append(svg("text", { x: 10, y: 38, class: "step-detail" }, detail));
  if (node.state && node.state !== "NONE") {
    group.append(svg("text", { x: w - 10, y: 30, class: "state-icon", "text-anchor": "end" }, stateIcon(node.state)));
  }
  if (node.counts) {
    group.append(svg("text", { x: w - 10, y: 14, class: "counts", "text-anchor": "end" }, countsText(node.counts)));
  }
  const choose = () => context.onStep && context.onStep(node);
  group.addEventListener("click", choose);
  group.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      choose();
    }
  });
  if (context.selected && context.selected === node.name) {
    group.classList.add("selected");
  }
}

function drawFrame(node, group, w, h, context) {
  if (node.kind === "split") {
    group.append(svg("rect", { class: "stack", x: 6, y: 6, width: w, height: h, rx: 8 }));
    group.append(svg("rect", { class: "stack", x: 3, y: 3, width: w, height: h, rx: 8 }));
  }
  group.append(svg("rect", { class: "frame", width: w, height: h, rx: 8 }));
  const header = svg("text", { x: PAD, y: 15, class: "frame-label" }, headerText(node));
  group.append(header);
  const right = frameState(node);
  if (right) {
    group.append(svg("text", { x: w - PAD, y: 15, class: "frame-state", "text-anchor": "end" }, right));
  }
  let top = HEADER + PAD;
  if (node.kind === "split" && node.items && node.items.length) {
    const key = path(node);
    group.setAttribute("tabindex", "0");
    group.setAttribute("aria-expanded", context.expanded.has(key) ? "true" : "false");
    group.setAttribute("aria-label", `split with ${node.items.length} items; Enter shows them`);
    const toggle = (event) => {
      if (event.target.closest && event.target.closest(".kind-step")) {
        return;
      }
      if (context.expanded.has(key)) {
        context.expanded.delete(key);
      } else {
        context.expanded.add(key);
      }
      context.redraw();
    };
    header.classList.add("toggle");
    header.addEventListener("click", toggle);
    group.addEventListener("keydown", (event) => {
      if ((event.key === "Enter" || event.key === " ") && event.target === group) {
        event.preventDefault();
        toggle(event);
      }
    });
    if (context.expanded.has(key)) {
      drawItems(node, group, PAD, top, w - 2 * PAD, context);
      top += node._itemsHeight;
    }
  }
  drawChildren(node, group, PAD, top, w - 2 * PAD, context);
}

function drawItems(node, group, x, y, width, context) {
  const perRow = Math.max(1, Math.floor(width / 64));
  node.items.forEach((item, i) => {
    const cx = x + (i % perRow) * 64;
    const cy = y + Math.floor(i / perRow) * 26;
    const chip = svg("g", {
      class: `item state-${item.state}`,
      "data-index": item.index,
      "data-state": item.state,
      transform: `translate(${cx},${cy})`,
      tabindex: "0",
      role: "button",
      "aria-label": `item ${item.index}, ${item.state}`,
    });
    chip.append(svg("title", {}, `item ${item.index}: ${item.state}`));
    chip.append(svg("rect", { width: 58, height: 20, rx: 10 }));
    chip.append(svg("text", { x: 29, y: 14, "text-anchor": "middle" }, `${item.index} ${stateIcon(item.state)}`));
    const choose = () => context.onItem && context.onItem(node, item);
    chip.addEventListener("click", choose);
    chip.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        choose();
      }
    });
    group.append(chip);
  });
}

function drawChildren(node, group, x, y, width, context) {
  const across = SIDE_BY_SIDE.has(node.kind);
  let cx = x;
  let cy = y;
  const children = node._children;
  children.forEach((child, i) => {
    const size = child._size;
    const childX = across ? cx : x + (width - size.w) / 2;
    group.append(draw(child, childX, cy, context));
    if (!across && i < children.length - 1) {
      const ax = x + width / 2;
      group.append(
        svg("line", { class: "arrow", x1: ax, y1: cy + size.h, x2: ax, y2: cy + size.h + GAP - 3, "marker-end": "url(#arrow)" }),
      );
    }
    if (across) {
      cx += size.w + GAP;
    } else {
      cy += size.h + GAP;
    }
  });
}

/**
 * Draws the graph into the container, replacing what was there.
 *
 * @param options onStep(node) when a step is chosen, onItem(split, item), selected (a step name)
 */
export function drawGraph(container, graph, options = {}) {
  const context = {
    expanded: options.expanded || new Set(),
    onStep: options.onStep,
    onItem: options.onItem,
    selected: options.selected,
  };
  context.redraw = () => drawGraph(container, graph, { ...options, expanded: context.expanded });
  if (!graph) {
    container.replaceChildren(document.createTextNode("No graph: the pipeline's route is not loaded."));
    return;
  }
  graph._root = true;
  assignPaths(graph, "");
  const size = measure(graph, context.expanded);
  const margin = 12;
  const picture = svg("svg", {
    class: "graph",
    role: "img",
    "aria-label": `graph of ${graph.name}`,
    width: size.w + 2 * margin + 6,
    height: size.h + 2 * margin + 6,
    viewBox: `0 0 ${size.w + 2 * margin + 6} ${size.h + 2 * margin + 6}`,
  });
  picture.append(
    svg(
      "defs",
      {},
      svg(
        "marker",
        { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" },
        svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }),
      ),
    ),
  );
  picture.append(draw(graph, margin, margin, context));
  container.replaceChildren(picture);
}
