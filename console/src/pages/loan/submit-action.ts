/**
 * Logging an action, step by step: store the evidence (checking the server kept the bytes this
 * browser hashed), then either sign the EIP-712 RecordAction in the collector's wallet for the API to
 * relay, or send the unsigned recordAction transaction from the wallet itself. Returns the
 * transaction's hash; the caller shows it pending until the indexer has the event.
 */
import { api, ApiProblem, must } from "../../api/client";
import { currentToken } from "../../lib/session";
import { connectWallet, sendFromWallet, walletReader, isUserRejection, WalletError, type Eip1193 } from "../../lib/wallet";

export type Step = "upload" | "sign" | "relay";

export interface ActionFields {
  channel: string;
  kind: string;
  /** As typed: the API says what is wrong with a non-integer. */
  outcome: string;
  occurredAt: number;
}

/** The SHA-256 of `blob` as 0x-prefixed hex (Web Crypto), computed before anything is uploaded. */
export async function sha256Hex(blob: Blob): Promise<`0x${string}`> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  return `0x${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The server stored other bytes than this browser hashed. */
export class EvidenceMismatch extends Error {
  constructor(
    readonly want: string,
    readonly got: string,
  ) {
    super("evidence hash mismatch");
  }
}

async function uploadEvidence(loanId: string, evidence: Blob, want: string): Promise<`0x${string}`> {
  const res = await fetch(`/v1/evidence?loanId=${encodeURIComponent(loanId)}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${currentToken() ?? ""}`, "Content-Type": evidence.type || "application/octet-stream" },
    body: evidence,
  });
  const body = (await res.json().catch(() => ({}))) as { sha256?: string; detail?: string };
  if (!res.ok) throw new ApiProblem(res.status, body);
  if (body.sha256 !== want) throw new EvidenceMismatch(want, String(body.sha256));
  return want as `0x${string}`;
}

/** The wallet's transaction was mined and reverted: nothing was recorded. */
export class TxReverted extends Error {
  constructor(readonly tx: string) {
    super("reverted");
  }
}

const outcomeOf = (typed: string): number | string => (/^\d{1,9}$/.test(typed.trim()) ? Number(typed.trim()) : typed);

export async function submitAction(p: {
  loanId: string;
  fields: ActionFields;
  evidence: Blob;
  evidenceHash: `0x${string}`;
  mode: "relayed" | "wallet";
  eth: Eip1193;
  collector: string;
  onStep: (s: Step) => void;
}): Promise<`0x${string}`> {
  p.onStep("upload");
  const evidenceHash = await uploadEvidence(p.loanId, p.evidence, p.evidenceHash);
  const body = { channel: p.fields.channel, kind: p.fields.kind, outcome: outcomeOf(p.fields.outcome) as number, occurredAt: p.fields.occurredAt, evidenceHash };
  const path = { loanId: p.loanId };
  try {
    if (p.mode === "relayed") {
      p.onStep("sign");
      const typed = await must(api.POST("/v1/loans/{loanId}/actions/typed-data", { params: { path }, body }));
      const account = await connectWallet(p.eth, typed.typedData.domain.chainId, p.collector, () => undefined);
      const signature = (await p.eth.request({ method: "eth_signTypedData_v4", params: [account, JSON.stringify(typed.typedData)] })) as string;
      p.onStep("relay");
      const sent = await must(
        api.POST("/v1/loans/{loanId}/actions", {
          params: { path, header: { "idempotency-key": crypto.randomUUID() } },
          body: { ...body, signature, deadline: typed.deadline, nonce: typed.nonce },
        }),
      );
      if (sent.mode !== "relayed") throw new ApiProblem(500, { detail: "the API answered an unsigned transaction to a relayed request" });
      return sent.txHash as `0x${string}`;
    }
    p.onStep("sign");
    const out = await must(api.POST("/v1/loans/{loanId}/actions", { params: { path, query: { mode: "unsigned" } }, body }));
    if (out.mode !== "unsigned") throw new ApiProblem(500, { detail: "the API relayed an unsigned request" });
    const { to, data, chainId } = out.transaction;
    const account = await connectWallet(p.eth, chainId, p.collector, () => undefined);
    const gas = await walletReader(p.eth).estimateGas({ account, to: to as `0x${string}`, data: data as `0x${string}` });
    p.onStep("relay");
    const hash = await sendFromWallet(p.eth, { from: account, to: to as `0x${string}`, data: data as `0x${string}`, gas });
    // Mined and reverted: say so now (it will never be indexed); not mined in 2 minutes: shown pending.
    const receipt = await walletReader(p.eth)
      .waitForTransactionReceipt({ hash, timeout: 120_000 })
      .catch(() => null);
    if (receipt?.status === "reverted") throw new TxReverted(hash);
    return hash;
  } catch (err) {
    if (isUserRejection(err)) throw new WalletError({ kind: "rejected" });
    throw err;
  }
}
