// Undo and redo over whole documents (they are small).
import type { Doc } from "./model";

export interface History {
  past: Doc[];
  present: Doc;
  future: Doc[];
  base?: Doc; // the document before a run of replace() calls (a drag): what undo returns to
}

const LIMIT = 200;

export function start(doc: Doc): History {
  return { past: [], present: doc, future: [] };
}

export function commit(history: History, doc: Doc): History {
  if (doc === history.present && !history.base) return history;
  return { past: [...history.past.slice(-LIMIT), history.base ?? history.present], present: doc, future: [] };
}

/** Replace the present without an undo step (e.g. while a node is being dragged). */
export function replace(history: History, doc: Doc): History {
  return { ...history, present: doc, base: history.base ?? history.present };
}

export function undo(history: History): History {
  if (!history.past.length) return history;
  if (history.base) history = commit(history, history.present); // a drag ends first
  return {
    past: history.past.slice(0, -1),
    present: history.past[history.past.length - 1],
    future: [history.present, ...history.future],
  };
}

export function redo(history: History): History {
  if (!history.future.length) return history;
  return { past: [...history.past, history.present], present: history.future[0], future: history.future.slice(1) };
}
