/** The auditor's view of one loan's evidence, its trail verified in the browser (issue 17, in progress). */
import { useI18n } from "../lib/i18n";

export function Audit({ loanId }: { loanId: string }) {
  const { t } = useI18n();
  return (
    <main>
      <p className="state">{t("state.empty")}</p>
    </main>
  );
}
