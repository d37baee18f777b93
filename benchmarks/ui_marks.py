"""The page-side probes of ui_latency.py: scripts that note, in page time
(performance.now(), ms after the navigation started), the moments the benchmark reads."""

from __future__ import annotations

# Runs in every page before the app. `__load.interactive`: the starting network's nodes
# drawn on the canvas (React Flow shows a node once it is measured) and Train enabled.
# `__ui`: when the run's websocket opens and when its first metrics arrive (with the
# worker's report time, in page time).
PROBE = """
window.__load = {};
window.__ui = {};
const loaded = new MutationObserver(() => {
  const node = document.querySelector(".react-flow__node[data-id='%(layer)s']");
  const train = document.querySelector(".train-button");
  if (node && getComputedStyle(node).visibility !== "hidden" && train && !train.disabled) {
    window.__load.interactive = performance.now();
    loaded.disconnect();
  }
});
loaded.observe(document, { subtree: true, childList: true, attributes: true });
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    window.__ui.wsCreated ??= performance.now();
    this.addEventListener("open", () => { window.__ui.wsOpen ??= performance.now(); });
    this.addEventListener("message", (event) => {
      const marks = window.__ui;
      if (marks.firstMetrics !== undefined) return;
      const message = JSON.parse(event.data);
      const held = message.kind === "snapshot"
        && (message.metrics.steps.values.train_loss ?? []).some((v) => v !== null);
      if (message.kind === "metrics" || held) {
        marks.firstMetrics = performance.now();
        if (message.kind === "metrics") marks.reported = message.at * 1000 - performance.timeOrigin;
      }
    });
  }
};
"""
ARM_TRAIN = """() => {
  const marks = window.__ui = {};
  performance.clearResourceTimings();
  document.querySelector(".train-button").addEventListener(
    "click", () => { marks.click ??= performance.now(); }, { capture: true, once: true });
  const observer = new MutationObserver(() => {
    const chart = document.querySelector("[data-testid=loss-chart]");
    if (marks.click !== undefined && chart && Number(chart.dataset.points) > 0) {
      marks.firstPoint = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, attributes: true,
                                    attributeFilter: ["data-points"] });
}"""
# A preset picked -> one of its layers shows its output shape (the validation's answer
# drawn on the node) and the status bar is no longer waiting for a check.
ARM_PRESET = """(layer) => {
  const marks = window.__ui = {};
  performance.clearResourceTimings();
  document.querySelector("[data-testid=preset-picker]").addEventListener(
    "change", () => { marks.pick ??= performance.now(); }, { capture: true, once: true });
  const observer = new MutationObserver(() => {
    const shape = document.querySelector(`.react-flow__node[data-id='${layer}'] .layer-shape`);
    const bar = document.querySelector("[data-testid=status-bar]");
    if (marks.pick !== undefined && shape && bar && bar.dataset.pending === "false") {
      marks.shown = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, attributes: true,
                                    characterData: true });
}"""
ARM_EDIT = """() => {
  const marks = window.__ui = {};
  performance.clearResourceTimings();
  const field = document.querySelector("#field-units");
  window.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target === field) marks.edit ??= performance.now();
  }, { capture: true, once: true });
  const bar = document.querySelector("[data-testid=status-bar]");
  const observer = new MutationObserver(() => {
    if (marks.edit === undefined) return;
    if (bar.dataset.pending === "true") marks.pending = true;
    else if (marks.pending) {
      marks.settled = performance.now();
      marks.text = bar.textContent;
      marks.checked = bar.querySelector("[data-testid=validate-ms]")?.textContent;
      observer.disconnect();
    }
  });
  observer.observe(bar, { subtree: true, childList: true, attributes: true,
                          characterData: true });
}"""
COLLECT = """(path) => {
  const entry = performance.getEntriesByType("resource").find((e) => e.name.endsWith(path));
  return { ...window.__ui, fetchStart: entry?.startTime, fetchEnd: entry?.responseEnd };
}"""
