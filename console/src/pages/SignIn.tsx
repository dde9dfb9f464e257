/**
 * Sign-in: Sign-In with Ethereum from the browser wallet (EIP-1193, EIP-4361 through the API's
 * nonce and verify endpoints), or in the demo a role picker over the demo's own tokens.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { createSiweMessage } from "viem/siwe";
import { api, must } from "../api/client";
import { useI18n, type MessageKey } from "../lib/i18n";
import { saveSession, type Session } from "../lib/session";

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** The demo's tokens by the console view each opens (an agency and its collector work a queue of the placed loans). */
const DEMO_ROLES: Record<string, Session["role"]> = {
  collector: "collector",
  otherCollector: "collector",
  lender: "lender",
  otherLender: "lender",
  auditor: "auditor",
  agency: "collector",
  agencyCollector: "collector",
};

/** The address a token names: its payload's `sub` (the token is the API's; the console only reads it). */
function subjectOf(token: string): string {
  const payload = token.split(".")[0] ?? "";
  const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
  return String(json.sub);
}

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const demo = useQuery({
    queryKey: ["demo-tokens"],
    queryFn: async () => {
      const res = await fetch("/demo/tokens");
      return res.ok ? ((await res.json()) as Record<string, string>) : null;
    },
    retry: false,
  });
  const choose = (s: Session) => {
    saveSession(s);
    onSignedIn(s);
  };
  const withWallet = async () => {
    setError(null);
    const eth = (window as unknown as { ethereum?: Eip1193 }).ethereum;
    if (!eth) return setError(t("signin.noWallet"));
    try {
      const [address] = (await eth.request({ method: "eth_requestAccounts" })) as `0x${string}`[];
      const chainId = Number(await eth.request({ method: "eth_chainId" }));
      const { nonce } = await must(api.POST("/v1/auth/nonce"));
      const message = createSiweMessage({
        domain: window.location.host,
        uri: window.location.origin,
        address: address!,
        chainId,
        nonce,
        version: "1",
        statement: "Sign in to the Duetrail console.",
      });
      const signature = (await eth.request({ method: "personal_sign", params: [message, address] })) as string;
      const session = await must(api.POST("/v1/auth/verify", { body: { message, signature } }));
      const role = session.roles.collector ? "collector" : session.roles.lender ? "lender" : "auditor";
      choose({ token: session.token, address: session.address, role });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <main className="signin">
      <h1>{t("signin.title")}</h1>
      <section>
        <button className="primary" onClick={withWallet}>
          {t("signin.wallet")}
        </button>
        <p className="help">{t("signin.walletHelp")}</p>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </section>
      {demo.data && (
        <section aria-labelledby="demo-title">
          <h2 id="demo-title">{t("signin.demo")}</h2>
          <div className="roles">
            {Object.entries(demo.data)
              .filter(([key]) => key in DEMO_ROLES)
              .map(([key, token]) => (
                <button key={key} data-role={key} onClick={() => choose({ token, address: subjectOf(token), role: DEMO_ROLES[key]! })}>
                  {t(`role.${key}` as MessageKey)}
                </button>
              ))}
          </div>
          <p className="help">{t("signin.demoHelp")}</p>
        </section>
      )}
    </main>
  );
}
