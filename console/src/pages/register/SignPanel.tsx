/** "Sign and register": the wallet flow of register.ts, its progress, and the loans it registered. */
import { useState } from "react";
import { BaseError } from "viem";
import { RegistrationPlanError } from "../../../../src/chain/register-plan";
import type { RowProblem } from "../../../../src/files/loan-file";
import { api } from "../../api/client";
import { LoanLink } from "../../components";
import { useI18n } from "../../lib/i18n";
import { WalletError, isUserRejection, type Eip1193 } from "../../lib/wallet";
import { ProblemList } from "./FileCheck";
import { PartialRegistrationError, RevertedOnChainError, registerFromWallet, type RegisterStep, type SentTransaction } from "./register";

type State =
  | { kind: "idle" }
  | { kind: "working"; step: RegisterStep }
  | { kind: "problems"; problems: RowProblem[] }
  | { kind: "multiple"; transactions: number; cap: bigint }
  | { kind: "done"; sent: SentTransaction[]; indexed: boolean }
  | { kind: "failed"; error: unknown };

const isIndexed = async (loanId: bigint) => (await api.GET("/v1/loans/{loanId}", { params: { path: { loanId: loanId.toString() } } })).response.status === 200;

export interface SignPanelProps {
  eth: Eip1193 | undefined;
  chainId: number;
  ledger: `0x${string}`;
  lender: string;
  file: { name: string; text: string };
}

export function SignPanel({ eth, chainId, ledger, lender, file }: SignPanelProps) {
  const { t } = useI18n();
  const [state, setState] = useState<State>({ kind: "idle" });
  const [allowMultiple, setAllowMultiple] = useState(false);
  const working = state.kind === "working";
  const sign = async () => {
    if (!eth) return;
    setState({ kind: "working", step: { step: "connect" } });
    try {
      const out = await registerFromWallet({ eth, chainId, ledger, lender, file, allowMultiple, isIndexed, onStep: (step) => setState({ kind: "working", step }) });
      if (out.kind === "registered") setState({ kind: "done", sent: out.transactions, indexed: out.indexed });
      else setState(out);
    } catch (error) {
      setState({ kind: "failed", error });
    }
  };
  return (
    <section aria-labelledby="sign-title" className="sign">
      <h2 id="sign-title" className="sr-only">{t("register.sign")}</h2>
      {!eth && <p className="help no-wallet">{t("register.noWallet")}</p>}
      {state.kind === "multiple" && (
        <label className="multiple">
          <input type="checkbox" checked={allowMultiple} onChange={(e) => setAllowMultiple(e.target.checked)} />{" "}
          {t("register.multiple", { count: state.transactions, cap: state.cap.toString() })}
        </label>
      )}
      <p>
        <button className="primary" onClick={sign} disabled={!eth || working || state.kind === "done"}>
          {t("register.sign")}
        </button>
      </p>
      {working && (
        <p role="status" className="progress" data-step={state.step.step}>
          {stepText(t, state.step)}
        </p>
      )}
      {state.kind === "problems" && <ProblemList name={file.name} problems={state.problems} />}
      {state.kind === "failed" && <Failure error={state.error} />}
      {state.kind === "failed" && state.error instanceof PartialRegistrationError && <Registered sent={state.error.sent} />}
      {state.kind === "done" && (
        <>
          {!state.indexed && <p className="help">{t("register.error.indexTimeout")}</p>}
          <Registered sent={state.sent} />
        </>
      )}
    </section>
  );
}

type T = ReturnType<typeof useI18n>["t"];

function stepText(t: T, s: RegisterStep): string {
  switch (s.step) {
    case "connect":
      return t("register.step.connect");
    case "switch":
      return t("register.step.switch", { chainId: s.chainId });
    case "check":
      return t("register.step.check");
    case "simulate":
      return t("register.step.simulate", { count: s.count });
    case "confirm":
      return t("register.step.confirm", { k: s.k, n: s.n });
    case "pending":
      return t("register.step.pending", { k: s.k, n: s.n, hash: s.hash });
    case "indexing":
      return t("register.step.indexing", { count: s.count });
  }
}

function Failure({ error }: { error: unknown }) {
  const { t } = useI18n();
  const text = (() => {
    if (error instanceof WalletError) {
      const p = error.problem;
      if (p.kind === "rejected") return t("register.error.rejected");
      if (p.kind === "wrong-chain") return t("register.error.wrongChain", { have: p.have, want: p.want });
      return t("register.error.wrongAccount", { have: p.have, want: p.want });
    }
    if (isUserRejection(error)) return t("register.error.rejected");
    if (error instanceof RegistrationPlanError) return t(error.reason === "too-big" ? "register.error.tooBig" : "register.error.refused", { reason: error.message });
    if (error instanceof RevertedOnChainError) return t("register.error.reverted", { hash: error.hash });
    if (error instanceof PartialRegistrationError) return t("register.error.partial", { done: error.sent.length, message: messageOf(error.cause) });
    return t("register.error.other", { message: messageOf(error) });
  })();
  return (
    <p role="alert" className="error" data-error={error instanceof RegistrationPlanError ? error.revert?.errorName ?? error.reason : undefined}>
      {text}
    </p>
  );
}

const messageOf = (e: unknown) => (e instanceof BaseError ? e.shortMessage : e instanceof Error ? e.message : String(e));

function Registered({ sent }: { sent: SentTransaction[] }) {
  const { t } = useI18n();
  const ids = sent.flatMap((s) => s.loanIds);
  return (
    <div className="registered" role="status">
      <p>{t("register.done", { count: ids.length })}</p>
      <ul className="loan-ids">
        {ids.map((id) => (
          <li key={id.toString()} data-loan={id.toString()}>
            <LoanLink id={id.toString()} />
          </li>
        ))}
      </ul>
      <ul className="help">
        {sent.map((s) => (
          <li key={s.hash}>
            <code>{t("register.tx", { hash: s.hash, block: s.block.toString() })}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}
