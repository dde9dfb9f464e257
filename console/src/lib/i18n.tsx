/**
 * English and Chinese, switchable; the choice is kept in localStorage. Messages are ICU
 * MessageFormat (intl-messageformat, as the notices use), so plurals read right in both.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { IntlMessageFormat } from "intl-messageformat";

export type Lang = "en" | "zh-CN";

const en = {
  "app.title": "Duetrail console",
  "lang.switch": "中文",
  "nav.queue": "Work queue",
  "nav.loans": "Loans",
  "nav.signOut": "Sign out",
  "signin.title": "Sign in",
  "signin.wallet": "Sign in with Ethereum",
  "signin.walletHelp": "Your browser wallet (MetaMask, Rabby, Frame) signs a one-time message; no transaction is sent.",
  "signin.noWallet": "No browser wallet found.",
  "signin.demo": "Demo: sign in as",
  "signin.demoHelp": "The demo's own tokens (npm start); a real deployment has no such picker.",
  "signin.signedInAs": "Signed in as {role} {address}",
  "role.collector": "collector",
  "role.otherCollector": "another collector",
  "role.lender": "lender",
  "role.otherLender": "another lender",
  "role.auditor": "auditor",
  "state.loading": "Loading…",
  "state.empty": "Nothing here.",
  "state.error": "Could not load: {message}",
  "state.retry": "Retry",
  "queue.title": "Work queue",
  "queue.count": "{count, plural, one {# loan} other {# loans}} · as of block {block}, {time} (chain time)",
  "queue.order": "Order",
  "queue.order.strategy": "Expected recovery (strategy)",
  "queue.order.due": "Oldest due first",
  "col.rank": "#",
  "col.loan": "Loan",
  "col.dpd": "DPD",
  "col.bucket": "Bucket",
  "col.overdue": "Overdue (minor units)",
  "col.score": "Score",
  "col.segment": "Segment",
  "col.reasons": "Why",
  "col.next": "Next best action",
  "col.window": "Contact now?",
  "col.state": "State",
  "col.principal": "Principal (minor units)",
  "col.classification": "Classification",
  "window.allowed": "Allowed now",
  "window.blocked": "Not before {time}",
  "loans.title": "Loans",
  "loans.bucket": "Bucket",
  "loans.all": "All",
  "more": "More",
  "loan.title": "Loan {id}",
  "loan.borrower": "Borrower",
  "loan.lender": "Lender",
  "loan.schedule": "Schedule (version {version})",
  "loan.due": "Due (chain time)",
  "loan.principal": "Principal",
  "loan.interest": "Interest",
  "loan.paid": "paid",
  "loan.overdue": "overdue",
  "loan.upcoming": "upcoming",
  "loan.timeline": "Timeline",
};
export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  "app.title": "Duetrail 控制台",
  "lang.switch": "English",
  "nav.queue": "催收队列",
  "nav.loans": "贷款",
  "nav.signOut": "退出",
  "signin.title": "登录",
  "signin.wallet": "使用以太坊账户登录",
  "signin.walletHelp": "由浏览器钱包（MetaMask、Rabby、Frame）签署一次性消息，不发送交易。",
  "signin.noWallet": "未找到浏览器钱包。",
  "signin.demo": "演示：登录为",
  "signin.demoHelp": "演示环境（npm start）自带的令牌；正式部署没有此选项。",
  "signin.signedInAs": "已登录：{role} {address}",
  "role.collector": "催收员",
  "role.otherCollector": "另一名催收员",
  "role.lender": "贷款机构",
  "role.otherLender": "另一家贷款机构",
  "role.auditor": "审计员",
  "state.loading": "加载中…",
  "state.empty": "暂无数据。",
  "state.error": "加载失败：{message}",
  "state.retry": "重试",
  "queue.title": "催收队列",
  "queue.count": "{count} 笔贷款 · 截至区块 {block}，{time}（链上时间）",
  "queue.order": "排序",
  "queue.order.strategy": "预期回收额（策略）",
  "queue.order.due": "最早到期优先",
  "col.rank": "#",
  "col.loan": "贷款",
  "col.dpd": "逾期天数",
  "col.bucket": "账龄",
  "col.overdue": "逾期金额（最小单位）",
  "col.score": "评分",
  "col.segment": "客群",
  "col.reasons": "原因",
  "col.next": "下一步行动",
  "col.window": "现在可联系？",
  "col.state": "状态",
  "col.principal": "本金（最小单位）",
  "col.classification": "五级分类",
  "window.allowed": "现在可以",
  "window.blocked": "{time} 之后",
  "loans.title": "贷款",
  "loans.bucket": "账龄",
  "loans.all": "全部",
  "more": "更多",
  "loan.title": "贷款 {id}",
  "loan.borrower": "借款人",
  "loan.lender": "贷款机构",
  "loan.schedule": "还款计划（第 {version} 版）",
  "loan.due": "到期日（链上时间）",
  "loan.principal": "本金",
  "loan.interest": "利息",
  "loan.paid": "已还",
  "loan.overdue": "逾期",
  "loan.upcoming": "未到期",
  "loan.timeline": "时间线",
};

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
