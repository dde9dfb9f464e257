/** The notices sent (or due) for the loan: channel, template, status and what triggered each. */
import { api, must } from "../../api/client";
import { MoreButton, QueryState } from "../../components";
import { formatChainTime } from "../../lib/format";
import { useI18n } from "../../lib/i18n";
import { useKeysetPages } from "../../lib/pages";

export function Notices({ loanId }: { loanId: string }) {
  const { t, lang } = useI18n();
  const q = useKeysetPages(["notices", loanId], (cursor) =>
    must(api.GET("/v1/loans/{loanId}/notices", { params: { path: { loanId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } } })),
  );
  return (
    <section aria-labelledby="notices-title">
      <h2 id="notices-title">{t("notices.title")}</h2>
      <QueryState loading={q.isPending} error={q.error} empty={q.items.length === 0} retry={() => q.refetch()}>
        <div className="table-wrap">
          <table className="notices">
            <thead>
              <tr>
                <th scope="col">{t("notices.at")}</th>
                <th scope="col">{t("notices.trigger")}</th>
                <th scope="col">{t("notices.channel")}</th>
                <th scope="col">{t("notices.template")}</th>
                <th scope="col">{t("notices.status")}</th>
              </tr>
            </thead>
            <tbody>
              {q.items.map((n) => (
                <tr key={n.id} data-notice={n.id}>
                  <td>{formatChainTime(n.trigger.at, lang)}</td>
                  <td>{n.trigger.name}</td>
                  <td>{n.channel}</td>
                  <td>{n.template}</td>
                  <td title={n.reason ?? undefined}>{n.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <MoreButton query={q} />
      </QueryState>
    </section>
  );
}
