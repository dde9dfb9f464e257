/** The lender's portfolio dashboard: charts of the book (issue 17, in progress). */
import { useI18n } from "../lib/i18n";

export function Dashboard() {
  const { t } = useI18n();
  return (
    <main>
      <p className="state">{t("state.empty")}</p>
    </main>
  );
}
