/** "Evidence and trail": from a loan's page to its auditor's view (client-side navigation; a real href for keyboard and new tabs). */
import { useI18n } from "../../lib/i18n";
import { navigate } from "../../lib/router";

export function AuditLink({ loanId }: { loanId: string }) {
  const { t } = useI18n();
  const to = `/loans/${loanId}/audit`;
  return (
    <p className="audit-link">
      <a
        href={to}
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey) return;
          e.preventDefault();
          navigate(to);
        }}
      >
        {t("audit.link")}
      </a>
    </p>
  );
}
