// What a learner has done, kept in this browser (and, signed in on a server with accounts,
// on the server for their account): for each lesson, the run each experiment was last
// trained as and whether that run has done it (completed, or diverged as claimed).
import { useCallback, useEffect, useState } from "react";
import { api } from "../api/client";

const STORAGE_KEY = "layerlab-lesson-progress";

export interface Attempt {
  runId: string;
  completed: boolean;
  diverged?: boolean; // it was done by diverging, as the experiment claims
}
export type Progress = Record<string, Record<string, Attempt>>; // lesson id -> experiment id -> attempt

function read(): Progress {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}");
    return stored && typeof stored === "object" && !Array.isArray(stored) ? (stored as Progress) : {};
  } catch {
    return {}; // a damaged entry starts the progress afresh rather than breaking the page
  }
}

/** Whether a signed-in user's progress is kept on the server too (set once signed in). */
let onServer = false;
export function keepProgressOnServer(on: boolean) {
  onServer = on;
}

export function useProgress() {
  const [progress, setProgress] = useState<Progress>(read);
  useEffect(() => {
    // the account's progress, wherever it was made, over this browser's
    if (onServer) api.progress().then((kept) => setProgress((old) => ({ ...old, ...(kept as Progress) })), () => undefined);
  }, []);
  const update = useCallback((lesson: string, experiment: string, attempt: Attempt) => {
    setProgress((old) => {
      const next = { ...old, [lesson]: { ...old[lesson], [experiment]: attempt } };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      if (onServer) void api.saveProgress(lesson, next[lesson]).catch(() => undefined);
      return next;
    });
  }, []);
  return { progress, update };
}

/** How many of a lesson's experiments have a completed run. */
export function completedCount(progress: Progress, lesson: string): number {
  return Object.values(progress[lesson] ?? {}).filter((attempt) => attempt.completed).length;
}
