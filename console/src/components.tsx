/** Shared pieces: the loading, empty and error states every view shows. */
import type { ReactNode } from "react";
import { useI18n } from "./lib/i18n";
import { navigate } from "./lib/router";

/** A link to a loan's page (client-side navigation; a real href for keyboard and new tabs). */
export function LoanLink({ id }: { id: string }) {
  return (
    <a
      href={`/loans/${id}`}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(`/loans/${id}`);
      }}
    >
      {id}
    </a>
  );
}

export function QueryState(p: { loading: boolean; error: unknown; empty: boolean; retry: () => void; children: ReactNode }) {
  const { t } = useI18n();
  if (p.loading) return <p role="status" className="state">{t("state.loading")}</p>;
  if (p.error)
    return (
      <div role="alert" className="state error">
        {t("state.error", { message: p.error instanceof Error ? p.error.message : String(p.error) })}{" "}
        <button onClick={p.retry}>{t("state.retry")}</button>
      </div>
    );
  if (p.empty) return <p className="state">{t("state.empty")}</p>;
  return <>{p.children}</>;
}

/** "More" under a keyset-paginated list: fetches the next page while there is one. */
export function MoreButton({ query }: { query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown } }) {
  const { t } = useI18n();
  if (!query.hasNextPage) return null;
  return (
    <button onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
      {t("more")}
    </button>
  );
}
