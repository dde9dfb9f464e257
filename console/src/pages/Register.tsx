/** The lender registers loans from a CSV or JSON file (issue 17, in progress). */
import { useI18n } from "../lib/i18n";

export function Register() {
  const { t } = useI18n();
  return (
    <main>
      <p className="state">{t("state.empty")}</p>
    </main>
  );
}
