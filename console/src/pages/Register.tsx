/** The lender registers loans from a CSV or JSON file (issue 17): the page is loaded on first visit (register/RegisterPage.tsx). */
import { lazy, Suspense } from "react";
import { useI18n } from "../lib/i18n";

const RegisterPage = lazy(() => import("./register/RegisterPage"));

export function Register() {
  const { t } = useI18n();
  return (
    <Suspense
      fallback={
        <main>
          <p role="status" className="state">
            {t("state.loading")}
          </p>
        </main>
      }
    >
      <RegisterPage />
    </Suspense>
  );
}
