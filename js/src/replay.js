// A stand-in for an anywidget model, backed by steps recorded in a saved page instead of a kernel,
// so the exported HTML replays with the very same controls as the live view.
//
// Unfolding in a saved page: there is no kernel to draw a picture for every set of unfolded stores,
// so each step carries, per folded store or collection, its picture with that one unfolded
// (`expansions`). A click unfolds the one clicked and folds any other; a second click folds it again.

const DERIVED = ["dot", "dot_step", "labels", "steps_meta", "legend_dot"];

/**
 * @param {{lang: string, step: number, language_names: object,
 *          privacy?: boolean,
 *          languages: Record<string, {labels: object, steps_meta: Array<{index: number}>,
 *                                     dots: string[], privacy_dots?: string[], empty_dot: string,
 *                                     legend_dot: string,
 *                                     expansions?: Array<Record<string, string>>}>}} data
 */
export function replayModel(data) {
  const state = {
    lang: data.lang,
    step: data.step,
    live: false,
    privacy: Boolean(data.privacy),
    expanded: [],
    error: "",
    language_names: data.language_names,
  };
  const listeners = new Map();
  let changed = new Set();

  function derive() {
    const table = data.languages[state.lang] ?? Object.values(data.languages)[0];
    const found = table.steps_meta.findIndex((s) => s.index === state.step);
    const pos = found >= 0 ? found : table.steps_meta.length - 1;
    // With the privacy overlay on, each step's picture drawn with it (what each worker has seen).
    const dots = state.privacy && table.privacy_dots ? table.privacy_dots : table.dots;
    // The key clicked last; a step that cannot unfold it (older ones may carry no expansions) keeps
    // its folded picture.
    const key = state.expanded[state.expanded.length - 1];
    const unfolded = !state.privacy && pos >= 0 && key ? table.expansions?.[pos]?.[key] : undefined;
    return {
      dot: unfolded ?? (pos >= 0 ? dots[pos] : table.empty_dot),
      dot_step: pos >= 0 ? table.steps_meta[pos].index : -1,
      labels: table.labels,
      steps_meta: table.steps_meta,
      legend_dot: table.legend_dot,
    };
  }
  let derived = derive();

  return {
    get(name) {
      return DERIVED.includes(name) ? derived[name] : state[name];
    },
    set(name, value) {
      // One store or collection unfolded at a time (see above): the newest key the widget added.
      if (name === "expanded") value = value.filter((k) => !state.expanded.includes(k)).slice(-1);
      if (state[name] !== value) changed.add(name);
      state[name] = value;
    },
    save_changes() {
      const before = derived;
      derived = derive();
      for (const name of DERIVED) if (before[name] !== derived[name]) changed.add(name);
      const fired = changed;
      changed = new Set();
      for (const name of fired) for (const cb of listeners.get(`change:${name}`) ?? []) cb();
    },
    on(event, cb) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(cb);
    },
    off(event, cb) {
      listeners.get(event)?.delete(cb);
    },
    send() {},
  };
}
