/** A collector's action as a wallet signs it for the relayed mode: typed data from the API, signed by the node's account. */
import { rpc } from "../../support/chain";
import type { ApiFixture, Role } from "../fixture";

/** `body` with the `signature`, `deadline` and `nonce` of `role`'s EIP-712 RecordAction over it (eth_signTypedData_v4). */
export async function signedAction(f: ApiFixture, role: Role, loanId: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await f.call(role, `/v1/loans/${loanId}/actions/typed-data`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`typed data for loan ${loanId} as ${role}: ${res.status} ${await res.text()}`);
  const td = (await res.json()) as { typedData: unknown; deadline: string; nonce: string };
  const signature = await rpc<string>(f.node.url, "eth_signTypedData_v4", [f.addresses[role], JSON.stringify(td.typedData)]);
  return { ...body, signature, deadline: td.deadline, nonce: td.nonce };
}
