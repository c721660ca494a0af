// The view's controls: a toolbar (previous, play, next, the step slider and counter, live, zoom out,
// zoom in, whole picture, save, the languages), the narration, the error line and the legend. They
// only show what they are given; render() in widget.js wires them to the model.

export function el(tag, className, attrs = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

// Fills "{index}"-style fields; numbers are written in the view's own digits (১২ in Bengali).
export function format(template, values, lang) {
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

function button(className, text = "") {
  const node = el("button", className, { type: "button" });
  node.textContent = text;
  return node;
}

/** The view's elements, in `root`; `graph` and `legendGraph` are where the pictures go. */
export function buildControls(viewNumber) {
  const parts = {
    root: el("div", "syft-view", { "data-view": String(viewNumber) }),
    prev: button("syft-prev", "◀"),
    play: button("syft-play"),
    next: button("syft-next", "▶"),
    slider: el("input", "syft-slider", { type: "range", min: "0", max: "0", step: "1", value: "0" }),
    counter: el("span", "syft-counter", { "aria-live": "polite" }),
    live: button("syft-live"),
    zoomOut: button("syft-zoom-out", "−"),
    zoomIn: button("syft-zoom-in", "+"),
    fit: button("syft-fit", "⤢"),
    save: button("syft-save"),
    privacy: button("syft-privacy"),
    langs: el("span", "syft-langs", { role: "group" }),
    narration: el("div", "syft-narration", { "aria-live": "polite" }),
    error: el("div", "syft-error", { role: "alert" }),
    graph: el("div", "syft-graph"),
    loading: el("div", "syft-loading"),
    legend: el("details", "syft-legend"),
    legendSummary: el("summary"),
    legendGraph: el("div", "syft-legend-graph"),
  };
  const { root, prev, play, next, slider, counter, live, save, privacy, langs } = parts;
  const toolbar = el("div", "syft-toolbar");
  const zoom = el("span", "syft-zoom", { role: "group" });
  zoom.append(parts.zoomOut, parts.zoomIn, parts.fit);
  toolbar.append(prev, play, next, slider, counter, live, zoom, save, privacy, langs);
  parts.graph.append(parts.loading);
  parts.legend.append(parts.legendSummary, parts.legendGraph);
  root.append(toolbar, parts.narration, parts.error, parts.graph, parts.legend);
  return parts;
}

function setTitle(node, title) {
  node.title = title ?? "";
  node.setAttribute("aria-label", node.title);
}

// One button per language, named in itself; made again only when the languages change.
function paintLanguages(langs, names, current) {
  const key = JSON.stringify(names);
  if (langs.dataset.names !== key) {
    langs.dataset.names = key;
    langs.replaceChildren(
      ...Object.entries(names).map(([code, name]) => {
        const node = button("syft-lang", name);
        node.lang = code;
        node.dataset.lang = code;
        return node;
      }),
    );
  }
  for (const node of langs.children) node.setAttribute("aria-pressed", String(node.dataset.lang === current));
}

/**
 * Show `state` in the controls: their words (`labels`, from the message catalog), the step counter,
 * the narration of step `pos` of `steps`, and which buttons can be used.
 */
export function paintControls(parts, { labels: l, steps, pos, lang, playing, live, languageNames, privacy }) {
  const { root, prev, play, next, slider, counter, save, langs } = parts;
  const count = steps.length;
  setTitle(prev, l.previous);
  setTitle(next, l.next);
  play.textContent = playing ? "⏸" : "⏵";
  setTitle(play, playing ? l.pause : l.play);
  prev.disabled = count === 0 || pos <= 0;
  next.disabled = count === 0 || pos >= count - 1;
  play.disabled = count < 2;
  slider.max = String(Math.max(0, count - 1));
  slider.value = String(Math.max(0, pos));
  slider.disabled = count < 2;
  const stepText = format(l.step_of, { index: pos + 1, count }, lang);
  slider.setAttribute("aria-label", count ? stepText : "");
  counter.textContent = count ? stepText : "";
  parts.live.textContent = live ? l.live ?? "" : l.replay ?? "";
  parts.live.title = l.latest ?? "";
  parts.live.setAttribute("aria-pressed", String(live));
  parts.narration.textContent = count ? steps[pos]?.narration ?? "" : l.empty ?? "";
  parts.loading.textContent = l.loading ?? "";
  parts.legendSummary.textContent = l.legend ?? "";
  setTitle(parts.zoomIn, l.zoom_in);
  setTitle(parts.zoomOut, l.zoom_out);
  setTitle(parts.fit, l.fit);
  parts.graph.title = l.graph_hint ?? "";
  save.textContent = l.save ?? "";
  save.disabled = !parts.graph.querySelector("svg");
  // The privacy overlay: what each worker has seen in the clear, drawn into its box when pressed.
  parts.privacy.textContent = l.privacy ?? "";
  parts.privacy.title = l.privacy_tip ?? "";
  parts.privacy.setAttribute("aria-pressed", String(Boolean(privacy)));
  langs.setAttribute("aria-label", l.language ?? "");
  paintLanguages(langs, languageNames, lang);
  root.lang = lang;
}

/** Download the picture as drawn in the browser (view.save() in Python writes SVG, PNG or HTML). */
export function downloadSvg(graph, fileName) {
  const svg = graph.querySelector("svg");
  if (!svg) return;
  const text = new XMLSerializer().serializeToString(svg);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  const link = el("a", "", { href: url, download: fileName });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
