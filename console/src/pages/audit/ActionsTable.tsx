/** A loan's actions as the chain's events recorded them: flags, evidence (downloadable), notice, head. */
import { useState } from "react";
import { api, ApiProblem, type Schemas } from "../../api/client";
import { formatChainTime, shortAddress } from "../../lib/format";
import { useI18n, type MessageKey } from "../../lib/i18n";
import { saveBlob } from "../../lib/download";

type Action = Schemas["TrailAction"];

export function ActionsTable({ actions, mismatchSeq }: { actions: Action[]; mismatchSeq: number | null }) {
  const { t, lang } = useI18n();
  if (actions.length === 0) return <p className="state">{t("state.empty")}</p>;
  return (
    <div className="table-wrap">
      <table className="actions">
        <thead>
          <tr>
            <th scope="col">{t("audit.col.seq")}</th>
            <th scope="col">{t("audit.col.occurred")}</th>
            <th scope="col">{t("audit.col.recorded")}</th>
            <th scope="col">{t("audit.col.collector")}</th>
            <th scope="col">{t("audit.col.channel")}</th>
            <th scope="col">{t("audit.col.kind")}</th>
            <th scope="col" className="num">{t("audit.col.outcome")}</th>
            <th scope="col">{t("audit.col.flags")}</th>
            <th scope="col">{t("audit.col.evidence")}</th>
            <th scope="col">{t("audit.col.notice")}</th>
            <th scope="col">{t("audit.col.head")}</th>
          </tr>
        </thead>
        <tbody>
          {actions.map((a) => (
            <tr key={a.seq} data-seq={a.seq} className={a.seq === mismatchSeq ? "mismatch" : undefined}>
              <th scope="row">{a.seq}</th>
              <td>{formatChainTime(a.occurredAt, lang)}</td>
              <td title={a.txHash}>
                #{a.block} <span className="meta">{formatChainTime(a.timestamp, lang)}</span>
              </td>
              <td title={a.collector}>{shortAddress(a.collector)}</td>
              <td>{t(`audit.channel.${a.channel.name}` as MessageKey)}</td>
              <td>{t(`audit.kind.${a.kind.name}` as MessageKey)}</td>
              <td className="num">{a.outcome}</td>
              <td>
                {a.flags.names.length === 0 ? (
                  <span className="meta">{t("audit.flags.none")}</span>
                ) : (
                  <ul className="flags">
                    {a.flags.names.map((f) => (
                      <li key={f}>{t(`audit.flag.${f}` as MessageKey)}</li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <EvidenceCell hash={a.evidenceHash} />
              </td>
              <td>
                {a.notice ? (
                  <>
                    {t("audit.notice.info", { template: a.notice.template, version: a.notice.templateVersion ?? "—", channel: t(`audit.channel.${a.notice.channel}` as MessageKey), status: a.notice.status })}
                    <br />
                    <span className={a.notice.evidenceMatches ? "ok" : "error"}>{a.notice.evidenceMatches ? t("audit.notice.matches") : t("audit.notice.differs")}</span>
                  </>
                ) : (
                  "—"
                )}
              </td>
              <td>
                <code title={a.head}>{shortAddress(a.head)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The artifact's hash and a download (GET /v1/evidence/{sha256} with the session's token). */
function EvidenceCell({ hash }: { hash: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const download = async () => {
    setState({ busy: true, error: null });
    try {
      const { data, error, response } = await api.GET("/v1/evidence/{sha256}", { params: { path: { sha256: hash } }, parseAs: "blob" });
      if (error !== undefined || !data) throw new ApiProblem(response.status, (error ?? {}) as Schemas["Problem"]);
      saveBlob(data, `evidence-${hash.replace(/^0x/, "")}`);
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  return (
    <>
      <code title={hash}>{shortAddress(hash)}</code>{" "}
      <button type="button" className="small" onClick={download} disabled={state.busy} aria-label={t("audit.evidence.downloadLabel", { hash })}>
        {t("audit.evidence.download")}
      </button>
      {state.error && (
        <span role="alert" className="error">
          {" "}
          {t("audit.evidence.failed", { message: state.error })}
        </span>
      )}
    </>
  );
}
