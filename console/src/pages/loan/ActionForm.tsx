/**
 * The collector's action form: channel, kind and outcome as the API's document allows them, when it
 * happened, and the evidence (a dropped file, hashed here before upload, or the note itself). The
 * API's field errors show next to their fields; a contract refusal or a wallet refusal above the button.
 */
import { useRef, useState, type DragEvent } from "react";
import { ApiProblem } from "../../api/client";
import { ACTION_FIELDS } from "../../lib/action-schema";
import { useI18n, type MessageKey } from "../../lib/i18n";
import { loadSession } from "../../lib/session";
import { injectedWallet, WalletError } from "../../lib/wallet";
import type { Contact } from "./ContactWindow";
import { EvidenceMismatch, sha256Hex, submitAction, TxReverted, type Step } from "./submit-action";

/** A chain time (seconds) as a datetime-local value in the viewer's zone, and back. */
const toLocalInput = (s: number) => {
  const d = new Date(s * 1000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (v: string) => Math.floor(new Date(v).getTime() / 1000);

type Field = "channel" | "kind" | "outcome" | "occurredAt" | "evidenceHash";

export default function ActionForm(p: { loanId: string; chainTime: number; contact: Contact; onContact: (c: Contact) => void; onSent: (tx: string, relayed: boolean) => void }) {
  const { t } = useI18n();
  const [outcome, setOutcome] = useState("0");
  const [occurred, setOccurred] = useState(() => toLocalInput(p.chainTime));
  const [note, setNote] = useState("");
  const [file, setFile] = useState<{ blob: File; hash: `0x${string}` } | "hashing" | null>(null);
  const [mode, setMode] = useState<"relayed" | "wallet">("relayed");
  const [step, setStep] = useState<Step | null>(null);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const eth = injectedWallet();

  const chosen = useRef(0);
  const choose = async (f: File | undefined) => {
    if (!f) return;
    const mine = ++chosen.current;
    setFile("hashing");
    const hash = await sha256Hex(f);
    if (mine === chosen.current) setFile({ blob: f, hash }); // a later choice wins, whichever hashes first
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    void choose(e.dataTransfer.files[0]);
  };

  const submit = async () => {
    setErrors({});
    setFormError(null);
    if (!eth) return setFormError(t("action.noWallet"));
    const evidence = file && file !== "hashing" ? file.blob : note.trim() ? new Blob([note], { type: "text/plain;charset=utf-8" }) : null;
    if (!evidence) return setErrors({ evidenceHash: t("action.needEvidence") });
    try {
      const hash = file && file !== "hashing" ? file.hash : await sha256Hex(evidence);
      const fields = { ...p.contact, outcome, occurredAt: fromLocalInput(occurred) };
      const tx = await submitAction({ loanId: p.loanId, fields, evidence, evidenceHash: hash, mode, eth, collector: loadSession()?.address ?? "", onStep: setStep });
      setNote("");
      setFile(null);
      p.onSent(tx, mode === "relayed");
    } catch (err) {
      if (err instanceof ApiProblem) {
        const byField: Partial<Record<Field, string>> = {};
        for (const e of err.problem.errors ?? []) byField[e.path.replace(/^body\./, "").split(".")[0] as Field] = e.message;
        setErrors(byField);
        if (Object.keys(byField).length === 0 || err.status !== 400) setFormError(t("action.refused", { message: err.message }));
      } else if (err instanceof WalletError && err.problem.kind === "rejected") setFormError(t("action.rejected"));
      else if (err instanceof EvidenceMismatch) setFormError(t("action.mismatch", { want: err.want, got: err.got }));
      else if (err instanceof TxReverted) setFormError(t("action.failed", { tx: err.tx, status: "reverted" }));
      else setFormError(t("action.refused", { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setStep(null);
    }
  };

  const error = (f: Field) =>
    errors[f] ? (
      <span id={`err-${f}`} className="field-error" role="alert">
        {errors[f]}
      </span>
    ) : null;
  const described = (f: Field, help?: string) => [errors[f] ? `err-${f}` : "", help ?? ""].filter(Boolean).join(" ") || undefined;

  return (
    <section aria-labelledby="action-title" className="panel">
      <h2 id="action-title">{t("action.title")}</h2>
      {!eth && <p className="help">{t("action.noWallet")}</p>}
      <form
        className="action-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          {t("action.channel")}
          <select name="channel" value={p.contact.channel} onChange={(e) => p.onContact({ ...p.contact, channel: e.target.value })} aria-describedby={described("channel")}>
            {ACTION_FIELDS.channels.map((c) => (
              <option key={c} value={c}>
                {t(`channel.${c}` as MessageKey)}
              </option>
            ))}
          </select>
          {error("channel")}
        </label>
        <label>
          {t("action.kind")}
          <select name="kind" value={p.contact.kind} onChange={(e) => p.onContact({ ...p.contact, kind: e.target.value })} aria-describedby={described("kind")}>
            {ACTION_FIELDS.kinds.map((k) => (
              <option key={k} value={k}>
                {t(`kind.${k}` as MessageKey)}
              </option>
            ))}
          </select>
          {error("kind")}
        </label>
        <label>
          {t("action.outcome")}
          <input
            name="outcome"
            type="number"
            inputMode="numeric"
            min={ACTION_FIELDS.outcome.min}
            max={ACTION_FIELDS.outcome.max}
            value={outcome}
            onChange={(e) => setOutcome(e.target.value)}
            aria-invalid={errors.outcome ? true : undefined}
            aria-describedby={described("outcome", "outcome-help")}
          />
          <span id="outcome-help" className="help">
            {t("action.outcomeHelp", { min: ACTION_FIELDS.outcome.min, max: ACTION_FIELDS.outcome.max })}
          </span>
          {error("outcome")}
        </label>
        <label>
          {t("action.occurredAt")}
          <input name="occurredAt" type="datetime-local" value={occurred} onChange={(e) => setOccurred(e.target.value)} aria-describedby={described("occurredAt")} />
          {error("occurredAt")}
        </label>
        <label className="wide">
          {t("action.note")}
          <textarea name="note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} aria-describedby="note-help" />
          <span id="note-help" className="help">
            {t("action.noteHelp")}
          </span>
        </label>
        <div className="wide dropzone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="dropzone">
          <label>
            {t("action.drop")}
            <input name="evidence" type="file" onChange={(e) => void choose(e.target.files?.[0])} aria-describedby={described("evidenceHash")} />
          </label>
          {file === "hashing" ? (
            <p role="status">{t("action.hashing")}</p>
          ) : file ? (
            <p className="hash" data-sha256={file.hash}>
              {t("action.sha256", { hash: file.hash, size: file.blob.size })}
            </p>
          ) : null}
          {error("evidenceHash")}
        </div>
        <fieldset className="wide">
          <legend>{t("action.mode")}</legend>
          <label>
            <input type="radio" name="mode" checked={mode === "relayed"} onChange={() => setMode("relayed")} /> {t("action.mode.relayed")}
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === "wallet"} onChange={() => setMode("wallet")} /> {t("action.mode.wallet")}
          </label>
        </fieldset>
        <div className="wide">
          <button className="primary" type="submit" disabled={step !== null || file === "hashing"}>
            {t("action.submit")}
          </button>{" "}
          {step && <span role="status">{t(`action.step.${step}` as MessageKey, { tx: "" })}</span>}
          {formError && (
            <p role="alert" className="error">
              {formError}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}
