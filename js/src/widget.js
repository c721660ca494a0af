// The live view's front end, an anywidget module. The model's traits (the DOT of the step shown, the
// timeline, the words from the message catalog) are drawn on a Surface (surface.js) and shown by the
// controls (controls.js); render() wires the two to the model. The look is in widget.css.

import "./widget.css";
import { buildControls, downloadSvg, format, paintControls } from "./controls.js";
import { replayModel } from "./replay.js";
import { Surface, sharedRenderer } from "./surface.js";

export { replayModel };

const PLAY_INTERVAL_MS = 1100;

function render({ model, el: host }) {
  const renderer = sharedRenderer();
  renderer.viewCount += 1;
  const viewNumber = renderer.viewCount;
  const prefix = `syftv${viewNumber}-`;
  const ui = buildControls(viewNumber);
  const { root } = ui;
  host.append(root);
  // Every DOM listener is added with this signal: aborting it removes them all.
  const listeners = new AbortController();
  const { signal } = listeners;

  let playTimer = null;
  let renderError = "";

  const labels = () => model.get("labels") || {};
  const meta = () => model.get("steps_meta") || [];
  function position() {
    const steps = meta();
    const found = steps.findIndex((s) => s.index === model.get("step"));
    return found >= 0 ? found : steps.length - 1;
  }
  function showError() {
    ui.error.textContent = model.get("error") || renderError;
  }
  function updateControls() {
    paintControls(ui, {
      labels: labels(),
      steps: meta(),
      pos: position(),
      lang: model.get("lang"),
      playing: Boolean(playTimer),
      live: Boolean(model.get("live")),
      languageNames: model.get("language_names") || {},
      privacy: Boolean(model.get("privacy")),
    });
    showError();
  }

  // For tests and tools: the picture of a step is in the DOM (drawn), and it has settled (rendered).
  function markDrawn(step) {
    root.dataset.drawnStep = String(step);
    root.dispatchEvent(new CustomEvent("syft-drawn", { detail: { step } }));
  }
  function markRendered(step) {
    root.dataset.renderedStep = String(step);
    root.dispatchEvent(new CustomEvent("syft-rendered", { detail: { step } }));
  }

  const surface = new Surface(renderer, ui.graph, {
    prefix,
    transitionName: `syft-view-${viewNumber}`,
    animate: true,
    onDrawn: markDrawn,
    onDone: (drawnStep) => {
      // Steps that arrived while drawing, with the same picture, are shown by this drawing too.
      const step = model.get("dot") === surface.lastDot ? model.get("dot_step") : drawnStep;
      ui.loading.remove();
      ui.save.disabled = false;
      renderError = "";
      showError();
      root.dataset.renderedLang = model.get("lang");
      root.dataset.renderCount = String(Number(root.dataset.renderCount || 0) + 1);
      markRendered(step);
    },
    onError: (message) => {
      renderError = format(labels().drawing_failed, { error: message }, model.get("lang"));
      showError();
    },
  });
  let legendSurface = null;

  function drawGraph() {
    const dot = model.get("dot");
    if (dot) surface.draw(dot, model.get("dot_step"));
  }
  // A step that changes nothing this view shows (a view of bob only, while alice works) keeps the
  // same DOT, so no redraw happens: still mark the picture as drawn for that step. The kernel says
  // which step a DOT depicts (dot_step): a step picked on the slider has no picture until it answers.
  function markUnchangedPicture() {
    if (surface.busy || surface.lastDot !== model.get("dot")) return;
    markDrawn(model.get("dot_step"));
    markRendered(model.get("dot_step"));
  }
  function drawLegend() {
    const dot = model.get("legend_dot");
    if (!ui.legend.open || !dot) return;
    legendSurface ??= new Surface(renderer, ui.legendGraph, {
      prefix: `${prefix}legend-`,
      transitionName: `syft-legend-${viewNumber}`,
      animate: false,
    });
    if (legendSurface.lastDot !== dot) legendSurface.draw(dot, 0);
  }

  // --- the timeline -------------------------------------------------------------------------------
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
    if (meta().length < 2) return;
    if (position() >= meta().length - 1) goTo(0);
    playTimer = setInterval(() => {
      const pos = position();
      if (pos >= meta().length - 1) stopPlaying();
      else goTo(pos + 1);
    }, PLAY_INTERVAL_MS);
    updateControls();
  }
  function followLatest() {
    stopPlaying();
    const steps = meta();
    model.set("live", true);
    if (steps.length) model.set("step", steps[steps.length - 1].index);
    model.save_changes();
  }
  // The kernel (or the saved page) answers with the picture drawn with or without the overlay.
  function togglePrivacy() {
    model.set("privacy", !model.get("privacy"));
    model.save_changes();
  }
  // A click on a folded store or collection (class sw-expandable, id "<prefix>expand:<key>") unfolds
  // it, a click on an unfolded one folds it again: the kernel (or the saved page) draws the picture.
  // The second click of a double click is not a toggle: a double click shows the whole picture.
  function toggleExpanded(event) {
    if (event.detail > 1) return;
    const target = event.target.closest?.(".sw-expandable[id]");
    const head = `${prefix}expand:`;
    if (!target || !target.id.startsWith(head)) return;
    const key = target.id.slice(head.length);
    const keys = new Set(model.get("expanded") || []);
    if (keys.has(key)) keys.delete(key);
    else keys.add(key);
    model.set("expanded", [...keys]);
    model.save_changes();
  }
  // The keyboard's way to the same: Enter or Space on a focused store or collection (surface.js makes
  // them focusable).
  function toggleExpandedByKey(event) {
    if (event.key !== "Enter" && event.key !== " ") return;
    if (!event.target.closest?.(".sw-expandable[id]")) return;
    event.preventDefault();
    toggleExpanded(event);
  }
  function chooseLanguage(event) {
    const choice = event.target.closest("[data-lang]");
    if (!choice) return;
    model.set("lang", choice.dataset.lang);
    model.save_changes();
  }

  const on = (node, type, listener) => node.addEventListener(type, listener, { signal });
  on(ui.prev, "click", () => {
    stopPlaying();
    goTo(position() - 1);
  });
  on(ui.next, "click", () => {
    stopPlaying();
    goTo(position() + 1);
  });
  on(ui.play, "click", () => (playTimer ? stopPlaying() : startPlaying()));
  on(ui.slider, "input", () => {
    // Read the slider first: stopPlaying() redraws the controls, which puts the thumb back.
    const target = Number(ui.slider.value);
    stopPlaying();
    goTo(target);
  });
  on(ui.live, "click", followLatest);
  on(ui.zoomIn, "click", () => surface.zoomIn());
  on(ui.zoomOut, "click", () => surface.zoomOut());
  on(ui.fit, "click", () => surface.resetZoom());
  on(ui.graph, "dblclick", () => surface.resetZoom());
  on(ui.graph, "click", toggleExpanded);
  on(ui.graph, "keydown", toggleExpandedByKey);
  on(ui.save, "click", () => downloadSvg(ui.graph, `syft-step-${model.get("step")}.svg`));
  on(ui.langs, "click", chooseLanguage);
  on(ui.privacy, "click", togglePrivacy);
  on(ui.legend, "toggle", drawLegend);

  // The model's events are not DOM events: one named handler per trait, taken off again below.
  const handlers = {
    "change:dot": drawGraph,
    "change:labels": updateControls,
    "change:steps_meta": updateControls,
    "change:step": updateControls,
    "change:dot_step": markUnchangedPicture,
    "change:live": updateControls,
    "change:lang": updateControls,
    "change:privacy": updateControls,
    "change:language_names": updateControls,
    "change:error": showError,
    "change:legend_dot": drawLegend,
  };
  for (const [event, handler] of Object.entries(handlers)) model.on(event, handler);

  updateControls();
  drawGraph();

  return () => {
    if (playTimer) clearInterval(playTimer);
    listeners.abort();
    for (const [event, handler] of Object.entries(handlers)) model.off(event, handler);
    surface.destroy();
    legendSurface?.destroy();
    root.remove();
  };
}

export default { render };
