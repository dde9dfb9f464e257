/**
 * The lender registers loans from a CSV or JSON file (issue 17): drop or choose the file, see its
 * problems exactly as `duetrail loans register` prints them or a preview of its loans, then sign the
 * registration in the browser wallet. Loaded lazily (it brings zod, the ABI and viem's encoders).
 */
import { useMemo, useRef, useState, type DragEvent } from "react";
import { QueryState } from "../../components";
import { formatChainTime } from "../../lib/format";
import { useI18n } from "../../lib/i18n";
import { loadSession } from "../../lib/session";
import { injectedWallet } from "../../lib/wallet";
import { FileCheck, checkFile } from "./FileCheck";
import { SignPanel } from "./SignPanel";
import { useValidationFacts } from "./facts";

interface LoadedFile {
  name: string;
  text: string;
  /** Increases with every file read, so dropping the same name again starts over. */
  serial: number;
}

export default function RegisterPage() {
  const { t, lang } = useI18n();
  const lender = loadSession()?.address ?? "";
  const facts = useValidationFacts(lender);
  const [file, setFile] = useState<LoadedFile | null>(null);
  const [reading, setReading] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const serial = useRef(0);
  const input = useRef<HTMLInputElement>(null);
  const eth = injectedWallet();

  const read = async (f: File | undefined) => {
    if (!f) return;
    const mine = ++serial.current;
    setReading(f.name);
    const text = await f.text();
    if (mine !== serial.current) return; // a later choice wins, whichever is read first
    setReading(null);
    setFile({ name: f.name, text, serial: mine });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (input.current) input.current.value = ""; // the chooser would still name the file chosen before
    void read(e.dataTransfer.files[0]);
  };
  const result = useMemo(() => (file && facts.data ? checkFile(file, facts.data.context) : null), [file, facts.data]);
  const ctx = facts.data?.context;

  return (
    <main className="register">
      <h1>{t("register.title")}</h1>
      <p className="help">{t("register.intro")}</p>
      <QueryState loading={facts.isPending} error={facts.error} empty={false} retry={() => facts.refetch()}>
        <div
          className={over ? "dropzone over" : "dropzone"}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
        >
          <label>
            {t("register.drop")} {t("register.choose")}:{" "}
            <input ref={input} type="file" accept=".csv,.json,text/csv,application/json" onChange={(e) => void read(e.target.files?.[0])} />
          </label>
        </div>
        {ctx && (
          <p className="meta">
            {facts.data?.source === "chain"
              ? t("register.context.chain", { time: formatChainTime(Number(ctx.now), lang), cap: ctx.maxAnnualRateBps ?? "—" })
              : t("register.context.api", { time: formatChainTime(Number(ctx.now), lang) })}
          </p>
        )}
        {reading && <p role="status">{t("register.reading", { name: reading })}</p>}
        {file && result && (
          <>
            <p className="meta">{t("register.file", { name: file.name })}</p>
            <FileCheck name={file.name} result={result} />
            {result.kind === "valid" && facts.data && (
              <SignPanel key={file.serial} eth={eth} chainId={facts.data.chainId} ledger={facts.data.ledger} lender={lender} file={file} />
            )}
          </>
        )}
        {!file && !eth && <p className="help no-wallet">{t("register.noWallet")}</p>}
      </QueryState>
    </main>
  );
}
