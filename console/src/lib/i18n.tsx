/**
 * English and Chinese, switchable; the choice is kept in localStorage. Messages are ICU
 * MessageFormat (intl-messageformat, as the notices use), so plurals read right in both.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { IntlMessageFormat } from "intl-messageformat";
import * as auditor from "../messages/auditor";
import * as collector from "../messages/collector";
import * as common from "../messages/common";
import * as lender from "../messages/lender";
import * as lenderRegister from "../messages/lender-register";

export type Lang = "en" | "zh-CN";

const en = { ...common.en, ...collector.en, ...lender.en, ...lenderRegister.en, ...auditor.en };
export type MessageKey = keyof typeof en;
const zh: Record<MessageKey, string> = { ...common.zh, ...collector.zh, ...lender.zh, ...lenderRegister.zh, ...auditor.zh };

const MESSAGES: Record<Lang, Record<MessageKey, string>> = { en, "zh-CN": zh };
const STORE = "duetrail.lang";

type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;
const I18n = createContext<{ lang: Lang; t: Translate; setLang: (l: Lang) => void } | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem(STORE) === "zh-CN" ? "zh-CN" : "en"));
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(STORE, l);
    document.documentElement.lang = l;
    setLangState(l);
  }, []);
  const value = useMemo(() => {
    const cache = new Map<MessageKey, IntlMessageFormat>();
    const t: Translate = (key, values) => {
      let f = cache.get(key);
      if (!f) cache.set(key, (f = new IntlMessageFormat(MESSAGES[lang][key], lang)));
      return String(f.format(values));
    };
    document.documentElement.lang = lang;
    return { lang, t, setLang };
  }, [lang, setLang]);
  return <I18n.Provider value={value}>{children}</I18n.Provider>;
}

export function useI18n() {
  const v = useContext(I18n);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}
