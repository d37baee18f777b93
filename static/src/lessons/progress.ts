// What a learner has done, kept in this browser: for each lesson, the run each experiment
// was last trained as and whether that run has done it (completed, or diverged as claimed).
import { useCallback, useState } from "react";

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

export function useProgress() {
  const [progress, setProgress] = useState<Progress>(read);
  const update = useCallback((lesson: string, experiment: string, attempt: Attempt) => {
    setProgress((old) => {
      const next = { ...old, [lesson]: { ...old[lesson], [experiment]: attempt } };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      return next;
    });
  }, []);
  return { progress, update };
}

/** How many of a lesson's experiments have a completed run. */
export function completedCount(progress: Progress, lesson: string): number {
  return Object.values(progress[lesson] ?? {}).filter((attempt) => attempt.completed).length;
}
