// The lessons beside the editor: the course's chapters with the learner's progress, and
// the open lesson's experiments. Texts come from the API in the UI's language.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Experiment, type Lesson, type LessonSummary } from "../api/client";
import { currentLang } from "../i18n";
import { LessonView } from "./LessonView";
import { completedCount, useProgress } from "./progress";

export interface LessonActions {
  /** Put the experiment's network and settings in the editor (and the weights it starts from). */
  apply: (experiment: Experiment, initFrom: string | null) => Promise<void>;
  /** Start a run of the experiment as it is; its id, or null when it did not start. */
  train: (experiment: Experiment, initFrom: string | null) => Promise<string | null>;
  /** Show the lesson's own network and settings. */
  load: (lesson: Lesson) => Promise<void>;
  /** Open the chart or view an experiment says to watch. */
  watch: (view: string) => void;
}

interface Props {
  actions: LessonActions;
  current: { runId: string | null; status: string }; // the run the dashboard follows
  onClose: () => void;
}

export function LessonsPanel({ actions, current, onClose }: Props) {
  const { t, i18n } = useTranslation("lessons");
  const [lessons, setLessons] = useState<LessonSummary[] | null>(null);
  const [open, setOpen] = useState<string | null>(() => sessionStorage.getItem("layerlab-lesson"));
  const [failure, setFailure] = useState<string | null>(null);
  const { progress, update } = useProgress();
  useEffect(() => {
    api.lessons(currentLang()).then(setLessons, (error: unknown) => setFailure(String(error)));
  }, [i18n.language]);
  const choose = (id: string | null) => {
    if (id) sessionStorage.setItem("layerlab-lesson", id);
    else sessionStorage.removeItem("layerlab-lesson");
    setOpen(id);
  };
  return (
    <aside className="lessons" aria-label={t("panel")} data-testid="lessons">
      <header>
        <h2>{t("title")}</h2>
        <button type="button" onClick={onClose} aria-label={t("close")}>×</button>
      </header>
      {failure && <p className="error" role="alert">{t("failed", { error: failure })}</p>}
      {open ? (
        <LessonView id={open} actions={actions} current={current} attempts={progress[open] ?? {}}
          onAttempt={(experiment, attempt) => update(open, experiment, attempt)} onBack={() => choose(null)} />
      ) : (
        <ol className="lesson-list">
          {(lessons ?? []).map((lesson) => {
            const done = completedCount(progress, lesson.id);
            return (
              <li key={lesson.id}>
                <button type="button" onClick={() => choose(lesson.id)} data-testid={`lesson-${lesson.id}`}>
                  <span className="chapter">{lesson.chapter}</span> {lesson.title}
                </button>
                <span className={done === lesson.experiments ? "lesson-progress done" : "lesson-progress"}
                  title={t("progressTitle", { done, total: lesson.experiments })}>
                  {t("progress", { done, total: lesson.experiments })}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </aside>
  );
}
