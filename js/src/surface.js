// A drawing surface: lays out DOT in the browser with Graphviz compiled to WebAssembly (d3-graphviz)
// and animates from one picture to the next. It knows nothing of the widget's model or controls.

import { graphviz } from "d3-graphviz";
import { transition } from "d3-transition";

// anywidget evaluates the bundle once per widget model, each time with its own copy of d3. Two
// d3-transition copies scheduling on one page collide ("too late; already running") and the second
// view dies, so the first copy loaded is shared by every model through globalThis.
const SHARED_KEY = Symbol.for("syft_widgets.renderer.v1");

/** The page's one d3-graphviz and d3-transition, and a count of the views made so far. */
export function sharedRenderer() {
  if (!globalThis[SHARED_KEY]) {
    globalThis[SHARED_KEY] = { graphviz, transition, viewCount: 0 };
  }
  return globalThis[SHARED_KEY];
}

// Tweening every path costs more than the layout itself; above this many nodes and edges the view
// jumps to the new picture instead of animating (measured: 1000 nodes take 1.45 s animated).
const ANIMATE_MAX_ITEMS = 300;
const TRANSITION_MS = 500;
// A render that never reports its end (a lost WASM call) must not freeze the view for good.
const RENDER_WATCHDOG_MS = 15000;

// Graphviz writes one <g> per node, edge and cluster; counting them in the text is a cheap size guess.
function roughItemCount(dot) {
  const matches = String(dot).match(/->|\[/g);
  return matches ? matches.length : 0;
}

// Ids in the SVG land in the page's DOM, and two views of one model draw the same DOT: prefix them per
// view. The attributer runs after d3-graphviz computed its join keys, so keys stay the bare ids.
function prefixIds(prefix) {
  return function (datum) {
    const attributes = datum && datum.attributes;
    if (attributes && typeof attributes.id === "string" && !attributes.id.startsWith(prefix)) {
      attributes.id = prefix + attributes.id;
    }
  };
}

// Graphviz in WASM cannot see the page's fonts and estimates text widths with narrow metrics, so
// Latin labels drawn in the page's sans-serif font overflow their boxes. Shrink such labels to fit.
const LABEL_PADDING = 6;
function fitLabels(svgRoot) {
  for (const node of svgRoot.querySelectorAll("g.node")) {
    const shapes = node.querySelectorAll("polygon, path, ellipse");
    const texts = node.querySelectorAll("text");
    if (!shapes.length || !texts.length) continue;
    let width = 0;
    for (const shape of shapes) width = Math.max(width, shape.getBBox().width);
    let widest = 0;
    for (const text of texts) {
      if (!text.dataset.fontSize) text.dataset.fontSize = text.getAttribute("font-size") || "14";
      text.setAttribute("font-size", text.dataset.fontSize);
      widest = Math.max(widest, text.getComputedTextLength());
    }
    const room = width - LABEL_PADDING;
    if (widest > room && room > 0) {
      for (const text of texts) text.setAttribute("font-size", String(Number(text.dataset.fontSize) * (room / widest)));
    }
  }
}

/**
 * One drawing surface in `node`: queues DOT so that only the newest waits while a transition runs.
 * `onDrawn(token)` fires when a picture is in the DOM (its animation starts), `onDone(token)` when the
 * animation has ended, `onError(message)` when Graphviz could not lay the DOT out.
 */
export class Surface {
  constructor(renderer, node, { prefix, transitionName, animate, onDone, onError, onDrawn }) {
    this.node = node;
    this.onDrawn = onDrawn || (() => {});
    this.animate = animate;
    this.onDone = onDone || (() => {});
    this.onError = onError || (() => {});
    this.busy = false;
    this.pending = null;
    this.watchdog = null;
    this.lastDot = null;
    this.currentItems = 0;
    this.gv = renderer
      .graphviz(node, {
        useWorker: false, // no worker script exists in a notebook; d3-graphviz would warn
        zoom: false, // zoom swallows the notebook's wheel scrolling
        fit: false,
        keyMode: "id",
        tweenPrecision: "5%",
      })
      .attributer(prefixIds(prefix))
      .transition(() => {
        const big = this.currentItems > ANIMATE_MAX_ITEMS;
        return renderer.transition(transitionName).duration(this.animate && !big ? TRANSITION_MS : 0);
      })
      .onerror((message) => {
        // d3-graphviz leaves itself busy after a layout error and would queue every later render.
        this.gv._busy = false;
        this.finish(null, message);
      })
      .on("renderEnd", () => this.onDrawn(this.renderingToken))
      .on("end", () => {
        try {
          fitLabels(this.node);
        } catch {
          // Measuring needs a laid-out page; a hidden view simply keeps Graphviz's sizes.
        }
        this.finish(this.renderingToken, null);
      });
  }

  /** Draw `dot`; `token` (a step index) comes back through onDrawn and onDone. */
  draw(dot, token) {
    if (this.busy) {
      this.pending = { dot, token };
      return;
    }
    this.busy = true;
    this.node.dataset.busy = "1";
    this.renderingToken = token;
    this.currentItems = roughItemCount(dot);
    const big = this.currentItems > ANIMATE_MAX_ITEMS;
    this.gv.tweenPaths(!big).tweenShapes(!big).growEnteringEdges(!big);
    this.watchdog = setTimeout(() => this.finish(null, "timeout"), RENDER_WATCHDOG_MS);
    try {
      this.gv.renderDot(dot);
      this.lastDot = dot;
    } catch (error) {
      this.finish(null, String(error && error.message ? error.message : error));
    }
  }

  finish(token, error) {
    clearTimeout(this.watchdog);
    this.busy = false;
    this.node.dataset.busy = this.pending ? "1" : "0";
    if (error) this.onError(error);
    else this.onDone(token);
    if (this.pending) {
      const { dot, token: next } = this.pending;
      this.pending = null;
      this.draw(dot, next);
    }
  }

  destroy() {
    clearTimeout(this.watchdog);
    this.pending = null;
    this.onDone = () => {};
    this.onError = () => {};
    this.onDrawn = () => {};
  }
}
