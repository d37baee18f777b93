// An assignment's locked fields, checked in the browser as the server checks them
// (app/classroom/marking.py): a dotted path into {network, training}, where a part under
// `layers` names a layer by its id. Train says which locks an edit broke before asking.
import type { Assignment } from "../api/client";

const MISSING = Symbol("missing");

function at(tree: unknown, path: string[]): unknown {
  let node: unknown = tree;
  for (const part of path) {
    if (Array.isArray(node)) node = node.find((item) => (item as { id?: string })?.id === part) ?? MISSING;
    else if (node && typeof node === "object") node = part in node ? (node as Record<string, unknown>)[part] : MISSING;
    else return MISSING;
    if (node === MISSING) return MISSING;
  }
  return node;
}

/** The same JSON value, whatever the order of its keys and whether a default is written. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => same(item, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    // a key one side leaves out (a default the editor does not write) is not a change
    return [...keys].every((key) => !(key in left) || !(key in right) || same(left[key], right[key]));
  }
  return false;
}

/** The locked paths whose value the network or settings change from the starter's. */
export function changedLocks(assignment: Assignment, network: unknown, training: unknown): string[] {
  const starter = { network: assignment.network, training: assignment.training };
  const given = { network, training };
  return (assignment.locked ?? []).filter((path) => !same(at(starter, path.split(".")), at(given, path.split("."))));
}
