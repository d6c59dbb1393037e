// A small typed dictionary: zh-CN first, English second. The Chinese dictionary defines the
// keys; the English one must have every one of them (the compiler and a unit test check).

import { useSyncExternalStore } from "react";

import { Store } from "../sync/store";
import { zh } from "./zh";
import { en } from "./en";

export type Lang = "zh-CN" | "en";
export type MessageKey = keyof typeof zh;
export type Vars = Record<string, string | number>;

export const dictionaries: Record<Lang, Record<MessageKey, string>> = { "zh-CN": zh, en };

const KEY = "duyan.lang";

function initialLang(): Lang {
  try {
    return localStorage.getItem(KEY) === "en" ? "en" : "zh-CN";
  } catch {
    return "zh-CN";
  }
}

export const language = new Store<Lang>(typeof localStorage === "undefined" ? "zh-CN" : initialLang());

export function setLanguage(lang: Lang): void {
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
  language.set(lang);
}

/** The message `key` in `lang`, with `{name}` placeholders filled from `vars`. */
export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const template = dictionaries[lang][key] ?? dictionaries["zh-CN"][key] ?? key;
  return vars ? template.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : template;
}

export type Translate = (key: MessageKey, vars?: Vars) => string;

export function useLang(): Lang {
  return useSyncExternalStore(language.subscribe, language.get);
}

export function useT(): Translate {
  const lang = useLang();
  return (key, vars) => translate(lang, key, vars);
}

/** A key for an enum value, e.g. status.in_progress; falls back to the raw value. */
export function enumLabel(t: Translate, group: string, value: string | null | undefined): string {
  if (!value) return "";
  const key = `${group}.${value}` as MessageKey;
  const label = t(key);
  return label === key ? value : label;
}

/** Days to a deadline as people say it: 剩 3 天, 今天到期, 超期 2 天. */
export function daysLabel(t: Translate, left: number): string {
  if (left === 0) return t("days.today");
  if (left > 0) return t(left === 1 ? "days.left_one" : "days.left", { n: left });
  return t(left === -1 ? "days.overdue_one" : "days.overdue", { n: -left });
}
