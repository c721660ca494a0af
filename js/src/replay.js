// A stand-in for an anywidget model, backed by steps recorded in a saved page instead of a kernel,
// so the exported HTML replays with the very same controls as the live view.

const DERIVED = ["dot", "dot_step", "labels", "steps_meta", "legend_dot"];

/**
 * @param {{lang: string, step: number, language_names: object,
 *          languages: Record<string, {labels: object, steps_meta: Array<{index: number}>,
 *                                     dots: string[], empty_dot: string, legend_dot: string}>}} data
 */
export function replayModel(data) {
  const state = {
    lang: data.lang,
    step: data.step,
    live: false,
    error: "",
    language_names: data.language_names,
  };
  const listeners = new Map();
  let changed = new Set();

  function derive() {
    const table = data.languages[state.lang] ?? Object.values(data.languages)[0];
    const found = table.steps_meta.findIndex((s) => s.index === state.step);
    const pos = found >= 0 ? found : table.steps_meta.length - 1;
    return {
      dot: pos >= 0 ? table.dots[pos] : table.empty_dot,
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
