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
function prefixId(prefix, attributes) {
  if (attributes && typeof attributes.id === "string" && !attributes.id.startsWith(prefix)) {
    attributes.id = prefix + attributes.id;
  }
}

// The whole picture fits the output area: as wide as it is (never wider than the area) and at most
// FIT_MAX_HEIGHT_PX tall (less on a short window), never enlarged. Graphviz sizes the SVG in points
// and gives it a viewBox, so setting the SVG's own width and height scales everything inside it.
const FIT_MAX_HEIGHT_PX = 900;
const FIT_MIN_HEIGHT_PX = 320;
const PX_PER_PT = 4 / 3;

/** The fitted size of a picture whose natural size is `width` × `height` px, in an area `room` px wide. */
export function fittedSize(width, height, room, windowHeight) {
  const maxHeight = Math.min(FIT_MAX_HEIGHT_PX, Math.max(FIT_MIN_HEIGHT_PX, windowHeight * 0.85));
  const area = room > 0 ? room : width;
  const scale = Math.min(1, area / width, maxHeight / height);
  // The SVG takes the area's whole width (the picture is centred in it), so zooming in has room.
  return { width: Math.max(area, 1), height: Math.max(height * scale, 1), scale };
}

function naturalSize(attributes) {
  const points = (value) => parseFloat(String(value ?? "").replace("pt", "")) || 0;
  return { width: points(attributes.width) * PX_PER_PT, height: points(attributes.height) * PX_PER_PT };
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

// Zooming: Ctrl (or ⌘) + wheel and a trackpad pinch (which browsers send as Ctrl + wheel) zoom; a plain
// wheel keeps scrolling the notebook. Dragging pans. A double click is the view's own (reset), not zoom.
const ZOOM_EXTENT = [0.25, 12];
const ZOOM_STEP = 1.5;
const ZOOM_MS = 250;
function zoomFilter(event) {
  if (event.type === "wheel") return event.ctrlKey || event.metaKey;
  if (event.type === "dblclick") return false;
  return !event.button && !event.ctrlKey;
}
function wheelDelta(event) {
  const unit = event.deltaMode === 1 ? 0.05 : event.deltaMode ? 1 : 0.002;
  // d3-zoom multiplies Ctrl + wheel by ten for pinches; a mouse wheel notch would then zoom 4x.
  return -event.deltaY * unit * (Math.abs(event.deltaY) < 20 ? 5 : 1.5);
}

// What the last step changed, as the diagram layer marks it (added, moved, changed; its messages).
const CHANGED = "g.node.added, g.node.moved, g.node.changed, g.edge.message";

function inside(inner, outer) {
  return (
    inner.left >= outer.left - 1 &&
    inner.right <= outer.right + 1 &&
    inner.top >= outer.top - 1 &&
    inner.bottom <= outer.bottom + 1
  );
}

/**
 * One drawing surface in `node`: queues DOT so that only the newest waits while a transition runs,
 * fits each picture to the area, and lets the reader pan and zoom it (see zoomFilter).
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
    this.zoomName = `${transitionName}-zoom`;
    this.userZoomed = false;
    this.gv = renderer
      .graphviz(node, {
        useWorker: false, // no worker script exists in a notebook; d3-graphviz would warn
        zoom: true,
        zoomScaleExtent: ZOOM_EXTENT,
        fit: false,
        keyMode: "id",
        tweenPrecision: "5%",
      })
      .attributer((datum) => {
        const attributes = datum && datum.attributes;
        if (!attributes) return;
        if (datum.tag === "svg") this.fitSvg(attributes);
        prefixId(prefix, attributes);
      })
      .transition(() => {
        const big = this.currentItems > ANIMATE_MAX_ITEMS;
        return renderer.transition(transitionName).duration(this.animate && !big ? TRANSITION_MS : 0);
      })
      .onerror((message) => {
        // d3-graphviz leaves itself busy after a layout error and would queue every later render.
        this.gv._busy = false;
        this.finish(null, message);
      })
      .on("renderEnd", () => {
        this.tameZoom();
        this.onDrawn(this.renderingToken);
      })
      .on("end", () => {
        try {
          // A store or collection a click unfolds can also be reached and unfolded with the keyboard.
          for (const node of this.node.querySelectorAll(".sw-expandable")) {
            node.setAttribute("tabindex", "0");
            node.setAttribute("role", "button");
          }
          fitLabels(this.node);
          this.keepChangesInView();
        } catch {
          // Measuring needs a laid-out page; a hidden view simply keeps Graphviz's sizes.
        }
        this.finish(this.renderingToken, null);
      });
    // The output area grows and shrinks with the window and the side panels: fit again.
    this.areaWidth = node.clientWidth;
    this.resizeObserver =
      typeof ResizeObserver === "function"
        ? new ResizeObserver(() => {
            if (node.clientWidth !== this.areaWidth) this.refit();
          })
        : null;
    this.resizeObserver?.observe(node);
  }

  /** Size the SVG (its `attributes`, as d3-graphviz is about to set them) to fit the area. */
  fitSvg(attributes) {
    const natural = naturalSize(attributes);
    if (!natural.width || !natural.height) return;
    this.natural = natural;
    this.areaWidth = this.node.clientWidth;
    const size = fittedSize(natural.width, natural.height, this.areaWidth, window.innerHeight);
    attributes.width = String(size.width);
    attributes.height = String(size.height);
    attributes.preserveAspectRatio = "xMidYMin meet";
    this.node.dataset.fitScale = size.scale.toFixed(3);
  }

  refit() {
    const svg = this.node.querySelector("svg");
    if (!svg || !this.natural) return;
    const attributes = { width: `${this.natural.width / PX_PER_PT}pt`, height: `${this.natural.height / PX_PER_PT}pt` };
    this.fitSvg(attributes);
    svg.setAttribute("width", attributes.width);
    svg.setAttribute("height", attributes.height);
  }

  // d3-graphviz makes its zoom behaviour with the first picture; set it up for a page that scrolls.
  tameZoom() {
    const behavior = this.gv.zoomBehavior();
    if (!behavior || this.zoomTamed === behavior) return;
    this.zoomTamed = behavior;
    behavior.filter(zoomFilter).wheelDelta(wheelDelta);
    // Gestures carry the browser event; the transforms d3-graphviz itself applies on a redraw do not.
    behavior.on("zoom.syft", (event) => {
      if (event.sourceEvent) this.setZoomed(true);
    });
    this.gv.zoomSelection().on("dblclick.zoom", null);
  }

  setZoomed(zoomed) {
    this.userZoomed = zoomed;
    this.node.dataset.zoomed = zoomed ? "1" : "0";
  }

  /** Zoom in (`factor` > 1) or out around the middle of the picture, as the toolbar's buttons do. */
  zoomBy(factor) {
    const behavior = this.gv.zoomBehavior();
    const selection = this.gv.zoomSelection();
    if (!behavior || !selection) return;
    selection.transition(this.zoomName).duration(ZOOM_MS).call(behavior.scaleBy, factor);
    this.setZoomed(true);
  }

  zoomIn() {
    this.zoomBy(ZOOM_STEP);
  }

  zoomOut() {
    this.zoomBy(1 / ZOOM_STEP);
  }

  /** Back to the whole picture, fitted: what the reset button and a double click do. */
  resetZoom(animated = true) {
    if (!this.gv.zoomBehavior()) return;
    this.gv.resetZoom(animated ? this.zoomName : undefined);
    this.setZoomed(false);
  }

  // A reader who zoomed in keeps their view across steps, unless the new step's changes are outside
  // it: then the whole picture comes back, so what just happened is never off screen.
  keepChangesInView() {
    if (!this.userZoomed) return;
    const svg = this.node.querySelector("svg");
    if (!svg) return;
    const area = svg.getBoundingClientRect();
    for (const changed of svg.querySelectorAll(CHANGED)) {
      if (!inside(changed.getBoundingClientRect(), area)) {
        this.resetZoom(true);
        return;
      }
    }
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
    this.resizeObserver?.disconnect();
    this.pending = null;
    this.onDone = () => {};
    this.onError = () => {};
    this.onDrawn = () => {};
  }
}
