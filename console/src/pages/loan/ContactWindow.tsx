/** Whether the chosen contact may reach the borrower now, and if not, from when and why (the API's contact window, refreshed live). */
import { useQuery } from "@tanstack/react-query";
import { api, must } from "../../api/client";
import { QueryState } from "../../components";
import { formatChainTime } from "../../lib/format";
import { useI18n, type MessageKey } from "../../lib/i18n";

export interface Contact {
  channel: string;
  kind: string;
}

/** The flags' words, joined. */
export function useFlagText() {
  const { t } = useI18n();
  return (reasons: readonly string[]) => reasons.map((r) => t(`flag.${r}` as MessageKey)).join(", ");
}

export function ContactWindow({ loanId, contact }: { loanId: string; contact: Contact }) {
  const { t, lang } = useI18n();
  const flags = useFlagText();
  const q = useQuery({
    queryKey: ["contact-window", loanId, contact.channel, contact.kind],
    queryFn: () =>
      must(api.GET("/v1/loans/{loanId}/contact-window", { params: { path: { loanId }, query: { channel: contact.channel, kind: contact.kind } } })),
    refetchInterval: 30_000,
  });
  const w = q.data;
  return (
    <section aria-labelledby="window-title" className="panel">
      <h2 id="window-title">{t("window.title")}</h2>
      <p className="meta">{t("window.for", { channel: t(`channel.${contact.channel}` as MessageKey), kind: t(`kind.${contact.kind}` as MessageKey) })}</p>
      <QueryState loading={q.isPending} error={q.error} empty={!w} retry={() => q.refetch()}>
        {w && (
          <p role="status" data-allowed={String(w.allowedNow)} className={w.allowedNow ? "ok" : "blocked"}>
            {w.allowedNow
              ? t("window.allowed")
              : w.nextAllowedAt !== null
                ? t("window.notUntil", { time: formatChainTime(w.nextAllowedAt, lang), reasons: flags(w.reasons) })
                : t("window.never", { reasons: flags(w.reasons) })}
          </p>
        )}
      </QueryState>
    </section>
  );
}
