// The live view's front end: an anywidget module that lays out DOT in the browser with Graphviz
// compiled to WebAssembly (d3-graphviz) and animates between steps. Every word it shows comes from
// the model's `labels` trait, which Python fills from the message catalog.

import { graphviz } from "d3-graphviz";
import { transition } from "d3-transition";
import { replayModel } from "./replay.js";

export { replayModel };

// anywidget evaluates this module once per widget model, each time with its own copy of d3. Two
// d3-transition copies scheduling on one page collide ("too late; already running") and the second
// view dies, so the first copy loaded is shared by every model through globalThis.
const SHARED_KEY = Symbol.for("syft_widgets.renderer.v1");

function sharedRenderer() {
  if (!globalThis[SHARED_KEY]) {
    globalThis[SHARED_KEY] = { graphviz, transition, viewCount: 0 };
  }
  return globalThis[SHARED_KEY];
}

// Tweening every path costs more than the layout itself; above this many nodes and edges the view
// jumps to the new picture instead of animating (measured: 1000 nodes take 1.45 s animated).
const ANIMATE_MAX_ITEMS = 300;
const TRANSITION_MS = 500;
const PLAY_INTERVAL_MS = 1100;
// A render that never reports its end (a lost WASM call) must not freeze the view for good.
const RENDER_WATCHDOG_MS = 15000;

const STYLE = `
.syft-view { font-family: system-ui, "Noto Sans", "Noto Sans Bengali", sans-serif; font-size: 13px;
  border: 1px solid var(--jp-border-color2, #ddd); border-radius: 6px; padding: 6px 8px; }
.syft-view .syft-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; }
.syft-view button { font: inherit; padding: 1px 8px; border: 1px solid var(--jp-border-color1, #bbb);
  border-radius: 4px; background: var(--jp-layout-color1, #fff); color: inherit; cursor: pointer; }
.syft-view button:disabled { opacity: 0.45; cursor: default; }
.syft-view button[aria-pressed="true"] { background: var(--jp-brand-color3, #d7e8f7); }
.syft-view .syft-slider { flex: 1 1 120px; min-width: 80px; }
.syft-view .syft-counter { min-width: 7em; text-align: center; white-space: nowrap; }
.syft-view .syft-langs { display: inline-flex; gap: 2px; margin-left: auto; }
.syft-view .syft-narration { margin: 6px 2px; min-height: 1.4em; }
.syft-view .syft-error { color: #b00020; margin: 4px 2px; white-space: pre-wrap; }
.syft-view .syft-error:empty { display: none; }
.syft-view .syft-graph { overflow: auto; max-height: 70vh; }
.syft-view .syft-graph svg, .syft-view .syft-legend-graph svg { max-width: 100%; height: auto; }
.syft-view .syft-loading { color: var(--jp-ui-font-color2, #777); }
.syft-view details { margin-top: 4px; }
`;

function el(tag, className, attrs = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

// Fills "{index}"-style fields; numbers are written in the view's own digits (১২ in Bengali).
function format(template, values, lang) {
  let digits = null;
  try {
    digits = new Intl.NumberFormat(lang || undefined, { useGrouping: false });
  } catch {
    digits = null;
  }
  return String(template ?? "").replace(/\{(\w+)\}/g, (whole, key) => {
    if (!(key in values)) return whole;
    const value = values[key];
    return typeof value === "number" && digits ? digits.format(value) : String(value);
  });
}

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

/** One drawing surface: queues DOT so that only the newest waits while a transition runs. */
class Surface {
  constructor(renderer, node, { prefix, transitionName, animate, onDone, onError, onDrawn }) {
    this.node = node;
    this.onDrawn = onDrawn || (() => {});
    this.animate = animate;
    this.onDone = onDone;
    this.onError = onError;
    this.busy = false;
    this.pending = null;
    this.watchdog = null;
    this.lastDot = null;
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
    this.currentItems = 0;
  }

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

function render({ model, el: host }) {
  const renderer = sharedRenderer();
  renderer.viewCount += 1;
  const viewNumber = renderer.viewCount;
  const prefix = `syftv${viewNumber}-`;

  const root = el("div", "syft-view", { "data-view": String(viewNumber) });
  const style = el("style");
  style.textContent = STYLE;
  const toolbar = el("div", "syft-toolbar");
  const prev = el("button", "syft-prev", { type: "button" });
  prev.textContent = "◀";
  const play = el("button", "syft-play", { type: "button" });
  const next = el("button", "syft-next", { type: "button" });
  next.textContent = "▶";
  const slider = el("input", "syft-slider", { type: "range", min: "0", max: "0", step: "1", value: "0" });
  const counter = el("span", "syft-counter", { "aria-live": "polite" });
  const live = el("button", "syft-live", { type: "button" });
  const save = el("button", "syft-save", { type: "button" });
  const langs = el("span", "syft-langs", { role: "group" });
  const narration = el("div", "syft-narration", { "aria-live": "polite" });
  const error = el("div", "syft-error", { role: "alert" });
  const graph = el("div", "syft-graph");
  const loading = el("div", "syft-loading");
  graph.append(loading);
  const legend = el("details", "syft-legend");
  const legendSummary = el("summary");
  const legendGraph = el("div", "syft-legend-graph");
  legend.append(legendSummary, legendGraph);
  toolbar.append(prev, play, next, slider, counter, live, save, langs);
  root.append(style, toolbar, narration, error, graph, legend);
  host.append(root);

  let playTimer = null;
  let renderError = "";

  const surface = new Surface(renderer, graph, {
    prefix,
    transitionName: `syft-view-${viewNumber}`,
    animate: true,
    onDone: (drawnToken) => {
      // Steps that arrived while drawing, with the same picture, are shown by this drawing too.
      const token = model.get("dot") === surface.lastDot ? model.get("dot_step") : drawnToken;
      loading.remove();
      save.disabled = false;
      renderError = "";
      showError();
      root.dataset.renderedStep = String(token);
      root.dataset.renderedLang = model.get("lang");
      root.dataset.renderCount = String(Number(root.dataset.renderCount || 0) + 1);
      root.dispatchEvent(new CustomEvent("syft-rendered", { detail: { step: token } }));
    },
    // The new picture is in the DOM (its animation starts now): tests time this moment.
    onDrawn: (token) => {
      root.dataset.drawnStep = String(token);
      root.dispatchEvent(new CustomEvent("syft-drawn", { detail: { step: token } }));
    },
    onError: (message) => {
      renderError = format(labels().drawing_failed, { error: message }, model.get("lang"));
      showError();
    },
  });
  let legendSurface = null;

  function labels() {
    return model.get("labels") || {};
  }
  function meta() {
    return model.get("steps_meta") || [];
  }
  function position() {
    const steps = meta();
    const current = model.get("step");
    const found = steps.findIndex((s) => s.index === current);
    return found >= 0 ? found : steps.length - 1;
  }
  function showError() {
    error.textContent = model.get("error") || renderError;
  }

  function goTo(pos) {
    const steps = meta();
    if (steps.length === 0) return;
    const clamped = Math.max(0, Math.min(steps.length - 1, pos));
    // Leaving the newest step stops following the kernel; arriving there keeps the current mode.
    if (clamped < steps.length - 1) model.set("live", false);
    model.set("step", steps[clamped].index);
    model.save_changes();
  }

  function stopPlaying() {
    if (playTimer) clearInterval(playTimer);
    playTimer = null;
    updateControls();
  }
  function startPlaying() {
    const steps = meta();
    if (steps.length < 2) return;
    if (position() >= steps.length - 1) goTo(0);
    playTimer = setInterval(() => {
      const pos = position();
      if (pos >= meta().length - 1) {
        stopPlaying();
        return;
      }
      goTo(pos + 1);
    }, PLAY_INTERVAL_MS);
    updateControls();
  }

  function updateControls() {
    const l = labels();
    const steps = meta();
    const pos = position();
    const count = steps.length;
    prev.title = l.previous ?? "";
    prev.setAttribute("aria-label", prev.title);
    next.title = l.next ?? "";
    next.setAttribute("aria-label", next.title);
    play.textContent = playTimer ? "⏸" : "⏵";
    play.title = (playTimer ? l.pause : l.play) ?? "";
    play.setAttribute("aria-label", play.title);
    prev.disabled = count === 0 || pos <= 0;
    next.disabled = count === 0 || pos >= count - 1;
    play.disabled = count < 2;
    slider.max = String(Math.max(0, count - 1));
    slider.value = String(Math.max(0, pos));
    slider.disabled = count < 2;
    const lang = model.get("lang");
    const stepText = format(l.step_of, { index: pos + 1, count }, lang);
    slider.setAttribute("aria-label", count ? stepText : "");
    counter.textContent = count ? stepText : "";
    const isLive = Boolean(model.get("live"));
    live.textContent = isLive ? l.live ?? "" : l.replay ?? "";
    live.title = l.latest ?? "";
    live.setAttribute("aria-pressed", String(isLive));
    narration.textContent = count ? steps[pos]?.narration ?? "" : l.empty ?? "";
    loading.textContent = l.loading ?? "";
    legendSummary.textContent = l.legend ?? "";
    save.textContent = l.save ?? "";
    save.disabled = !graph.querySelector("svg");
    langs.setAttribute("aria-label", l.language ?? "");
    const names = model.get("language_names") || {};
    const current = lang;
    langs.replaceChildren(
      ...Object.entries(names).map(([code, name]) => {
        const button = el("button", "syft-lang", { type: "button", lang: code, "data-lang": code });
        button.textContent = name;
        button.setAttribute("aria-pressed", String(code === current));
        button.addEventListener("click", () => {
          model.set("lang", code);
          model.save_changes();
        });
        return button;
      }),
    );
    root.lang = current;
    showError();
  }

  function drawGraph() {
    const dot = model.get("dot");
    if (dot) surface.draw(dot, model.get("dot_step"));
  }
  // A step that changes nothing this view shows (a view of bob only, while alice works) keeps the
  // same DOT, so no redraw happens: still mark the picture as drawn for that step. The kernel says
  // which step a DOT depicts (dot_step): a step picked on the slider has no picture until it answers.
  function markUnchangedPicture() {
    if (surface.busy || surface.lastDot !== model.get("dot")) return;
    const token = model.get("dot_step");
    root.dataset.drawnStep = String(token);
    root.dataset.renderedStep = String(token);
    root.dispatchEvent(new CustomEvent("syft-drawn", { detail: { step: token } }));
    root.dispatchEvent(new CustomEvent("syft-rendered", { detail: { step: token } }));
  }
  function drawLegend() {
    const dot = model.get("legend_dot");
    if (!legend.open || !dot) return;
    if (!legendSurface) {
      legendSurface = new Surface(renderer, legendGraph, {
        prefix: `${prefix}legend-`,
        transitionName: `syft-legend-${viewNumber}`,
        animate: false,
        onDone: () => {},
        onError: () => {},
      });
    }
    if (legendSurface.lastDot !== dot) legendSurface.draw(dot, 0);
  }

  const onPrev = () => {
    stopPlaying();
    goTo(position() - 1);
  };
  const onNext = () => {
    stopPlaying();
    goTo(position() + 1);
  };
  const onPlay = () => (playTimer ? stopPlaying() : startPlaying());
  const onSlider = () => {
    // Read the slider first: stopPlaying() redraws the controls, which puts the thumb back.
    const target = Number(slider.value);
    stopPlaying();
    goTo(target);
  };
  // Downloads the picture as drawn in the browser; view.save() in Python writes SVG, PNG or HTML.
  const onSave = () => {
    const svg = graph.querySelector("svg");
    if (!svg) return;
    const text = new XMLSerializer().serializeToString(svg);
    const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
    const link = el("a", "", { href: url, download: `syft-step-${model.get("step")}.svg` });
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const onLive = () => {
    stopPlaying();
    const steps = meta();
    model.set("live", true);
    if (steps.length) model.set("step", steps[steps.length - 1].index);
    model.save_changes();
  };
  prev.addEventListener("click", onPrev);
  next.addEventListener("click", onNext);
  play.addEventListener("click", onPlay);
  slider.addEventListener("input", onSlider);
  live.addEventListener("click", onLive);
  save.addEventListener("click", onSave);
  legend.addEventListener("toggle", drawLegend);

  // One named handler per trait, removed again by the cleanup below.
  const handlers = {
    "change:dot": drawGraph,
    "change:labels": updateControls,
    "change:steps_meta": updateControls,
    "change:step": updateControls,
    "change:dot_step": markUnchangedPicture,
    "change:live": updateControls,
    "change:lang": updateControls,
    "change:language_names": updateControls,
    "change:error": showError,
    "change:legend_dot": drawLegend,
  };
  for (const [event, handler] of Object.entries(handlers)) model.on(event, handler);

  updateControls();
  drawGraph();

  return () => {
    stopPlaying();
    for (const [event, handler] of Object.entries(handlers)) model.off(event, handler);
    prev.removeEventListener("click", onPrev);
    next.removeEventListener("click", onNext);
    play.removeEventListener("click", onPlay);
    slider.removeEventListener("input", onSlider);
    live.removeEventListener("click", onLive);
    save.removeEventListener("click", onSave);
    legend.removeEventListener("toggle", drawLegend);
    surface.destroy();
    if (legendSurface) legendSurface.destroy();
    root.remove();
  };
}

export default { render };
