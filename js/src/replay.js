// A stand-in for an anywidget model, backed by steps recorded in a saved page instead of a kernel,
// so the exported HTML replays with the very same controls as the live view.
//
// Unfolding in a saved page: there is no kernel to draw a picture for every set of unfolded stores,
// so each step carries, per folded store or collection, its picture with that one unfolded
// (`expansions`). A click unfolds the one clicked and folds any other; a second click folds it again.
// What only an unfolded one shows (me's store, in the note of an unfolded list) unfolds with it: those
// pictures are in `inner_expansions`, by the outer key and then the inner one.
//
// The privacy overlay's picture of a step is its plain picture with the overlay's notes before the
// closing brace. The page stores only the notes (`{notes}`, see _export.pack_replay in Python), so a
// long lesson's page is not twice its size; a full DOT text there is used as it is.

const DERIVED = ["dot", "dot_step", "labels", "steps_meta", "legend_dot"];

/** The privacy picture of the step at `pos` of `table`: stored whole, or as notes added to its plain one. */
function overlaid(table, pos) {
  const stored = table.privacy_dots[pos];
  if (typeof stored === "string") return stored;
  return table.dots[pos].slice(0, -"}\n".length) + stored.notes;
}

/**
 * @param {{lang: string, step: number, language_names: object,
 *          privacy?: boolean,
 *          languages: Record<string, {labels: object, steps_meta: Array<{index: number}>,
 *                                     dots: string[], privacy_dots?: Array<string | {notes: string}>,
 *                                     empty_dot: string, legend_dot: string,
 *                                     expansions?: Array<Record<string, string>>,
 *                                     inner_expansions?: Array<Record<string, Record<string, string>>>}>}} data
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

  function currentTable() {
    return data.languages[state.lang] ?? Object.values(data.languages)[0];
  }
  function position(shown) {
    const found = shown.steps_meta.findIndex((s) => s.index === state.step);
    return found >= 0 ? found : shown.steps_meta.length - 1;
  }
  // One store or collection unfolded at a time, the one clicked last; a key that only the unfolded
  // one shows (me's store inside an unfolded list) unfolds with it. Folding one keeps the rest.
  function unfoldings(keys) {
    const added = keys.filter((k) => !state.expanded.includes(k));
    if (!added.length) return state.expanded.filter((k) => keys.includes(k));
    const key = added[added.length - 1];
    const outer = state.expanded[0];
    const shown = currentTable();
    const within = outer !== undefined && shown.inner_expansions?.[position(shown)]?.[outer]?.[key];
    return within ? [outer, key] : [key];
  }

  function derive() {
    const table = currentTable();
    const pos = position(table);
    // The keys unfolded; a step that cannot unfold them (older ones may carry no expansions) keeps its
    // folded picture, or the outer one unfolded alone.
    const [outer, inner] = state.expanded;
    let unfolded;
    if (!state.privacy && pos >= 0 && outer !== undefined) {
      const alone = table.expansions?.[pos]?.[outer];
      unfolded = inner === undefined ? alone : (table.inner_expansions?.[pos]?.[outer]?.[inner] ?? alone);
    }
    // With the privacy overlay on, each step's picture drawn with it (what each worker has seen).
    let dot = table.empty_dot;
    if (pos >= 0) dot = state.privacy && table.privacy_dots ? overlaid(table, pos) : table.dots[pos];
    return {
      dot: unfolded ?? dot,
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
      if (name === "expanded") value = unfoldings(value);
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
