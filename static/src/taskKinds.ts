// The task kinds as the server's registry describes them (GET /tasks): the dashboard charts
// each draws, whether its network reads the dataset's samples, the settings only it reads
// and those to take on switching to it. Loaded once by the app and read where a kind
// matters, so that no kind's name is tested in the UI.
import { createContext, useContext } from "react";
import type { Schemas } from "./api/client";

export type TaskKind = Schemas["TaskKindOut"];

export const TaskKindsContext = createContext<TaskKind[]>([]);

/** The kind named `name` (undefined for none: a run that names no task trains its
 * dataset's first, which is never a kind with rules of its own). */
export function kindOf(kinds: TaskKind[], name: unknown): TaskKind | undefined {
  return kinds.find((kind) => kind.name === name);
}

/** Every task kind, as the app loaded them. */
export function useTaskKinds(): TaskKind[] {
  return useContext(TaskKindsContext);
}

/** The task kind named `name`, if any. */
export function useTaskKind(name: unknown): TaskKind | undefined {
  return kindOf(useTaskKinds(), name);
}
