/** The console's shell: sign-in, then each role's views, with the language switch and sign-out. */
import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { shortAddress } from "./lib/format";
import { useI18n, type MessageKey } from "./lib/i18n";
import { navigate, usePath } from "./lib/router";
import { loadSession, saveSession, type Session } from "./lib/session";
import { Loan } from "./pages/Loan";
import { Loans } from "./pages/Loans";
import { Queue } from "./pages/Queue";
import { Register } from "./pages/Register";
import { SignIn } from "./pages/SignIn";

// The dashboard carries ECharts: loaded when first shown, so the first page stays small.
// The auditor's view carries viem and the contracts' ABIs for the in-browser trail check: loaded when first shown.
const Audit = lazy(() => import("./pages/Audit").then((m) => ({ default: m.Audit })));
const Dashboard = lazy(() => import("./pages/Dashboard").then((m) => ({ default: m.Dashboard })));

const VIEWS: Record<Session["role"], { path: string; label: MessageKey }[]> = {
  collector: [
    { path: "/queue", label: "nav.queue" },
    { path: "/loans", label: "nav.loans" },
  ],
  lender: [
    { path: "/dashboard", label: "nav.dashboard" },
    { path: "/loans", label: "nav.loans" },
    { path: "/register", label: "nav.register" },
  ],
  auditor: [{ path: "/loans", label: "nav.loans" }],
};

export function App() {
  const { t, lang, setLang } = useI18n();
  const queries = useQueryClient();
  const [session, setSession] = useState<Session | null>(loadSession);
  const path = usePath();
  const views = session ? VIEWS[session.role] : [];
  const [, loanId, audit] = /^\/loans\/(\d+)(\/audit)?$/.exec(path) ?? [];
  const current = views.find((v) => v.path === path) ?? (loanId ? undefined : views[0]);
  const signOut = () => {
    saveSession(null);
    queries.clear();
    setSession(null);
    navigate("/");
  };
  return (
    <>
      <header className="top">
        <span className="brand">{t("app.title")}</span>
        <nav aria-label="main">
          {views.map((v) => (
            <a
              key={v.path}
              href={v.path}
              aria-current={v === current ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(v.path);
              }}
            >
              {t(v.label)}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        {session && <span className="who">{t("signin.signedInAs", { role: t(`role.${session.role}` as MessageKey), address: shortAddress(session.address) })}</span>}
        <button onClick={() => setLang(lang === "en" ? "zh-CN" : "en")} lang={lang === "en" ? "zh-CN" : "en"}>
          {t("lang.switch")}
        </button>
        {session && <button onClick={signOut}>{t("nav.signOut")}</button>}
      </header>
      {!session ? (
        <SignIn
          onSignedIn={(s) => {
            setSession(s);
            navigate(VIEWS[s.role][0]!.path);
          }}
        />
      ) : loanId && audit ? (
        <Suspense fallback={<p role="status" className="state">{t("state.loading")}</p>}>
          <Audit loanId={loanId} />
        </Suspense>
      ) : loanId ? (
        <Loan loanId={loanId} />
      ) : current?.path === "/queue" ? (
        <Queue />
      ) : current?.path === "/dashboard" ? (
        <Suspense fallback={<p role="status" className="state">{t("state.loading")}</p>}>
          <Dashboard />
        </Suspense>
      ) : current?.path === "/register" ? (
        <Register />
      ) : (
        <Loans />
      )}
    </>
  );
}
