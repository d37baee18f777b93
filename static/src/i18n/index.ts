// The UI's languages: every text a component shows comes from the message catalogs in
// en/ and es/ (one file per part of the UI, an i18next namespace each). English is the
// reference: i18next.d.ts types every key against it, and the tests fail when Spanish
// lacks a key English has (or the other way round).
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import enClassroom from "./en/classroom.json";
import enCommon from "./en/common.json";
import enEditor from "./en/editor.json";
import enInspect from "./en/inspect.json";
import enLessons from "./en/lessons.json";
import enSweeps from "./en/sweeps.json";
import enTrain from "./en/train.json";
import esClassroom from "./es/classroom.json";
import esCommon from "./es/common.json";
import esEditor from "./es/editor.json";
import esInspect from "./es/inspect.json";
import esLessons from "./es/lessons.json";
import esSweeps from "./es/sweeps.json";
import esTrain from "./es/train.json";

export const LANGS = ["en", "es"] as const;
export type Lang = (typeof LANGS)[number];
export const STORAGE_KEY = "layerlab-lang";

export const resources = {
  en: { classroom: enClassroom, common: enCommon, editor: enEditor, inspect: enInspect, lessons: enLessons, sweeps: enSweeps, train: enTrain },
  es: { classroom: esClassroom, common: esCommon, editor: esEditor, inspect: esInspect, lessons: esLessons, sweeps: esSweeps, train: esTrain },
} as const;

/** The language chosen before (kept in the browser), else the browser's own if we have it. */
function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === "en" || stored === "es") return stored;
  return navigator.language.toLowerCase().startsWith("es") ? "es" : "en";
}

void i18n.use(initReactI18next).init({
  resources,
  lng: initialLang(),
  fallbackLng: "en",
  defaultNS: "common",
  ns: Object.keys(resources.en),
  interpolation: { escapeValue: false }, // React escapes what it renders
  returnNull: false,
});
document.documentElement.lang = i18n.language;
i18n.on("languageChanged", (lang) => {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
});

/** The current language, as the API's `lang` takes it. */
export function currentLang(): Lang {
  return i18n.language === "es" ? "es" : "en";
}

export default i18n;
