/**
 * The API's relayer: sends CollectionLog transactions for callers with its own key (RELAYER_KEY).
 *
 * - Nonces are serialised: one transaction is prepared, signed and sent at a time per process,
 *   at the highest of the node's pending count, this process's next nonce and the next after the
 *   relays still pending in the database (other API processes with the same key); a "nonce too
 *   low" from the node (another process got there first) is retried with a fresh nonce.
 * - The signed bytes are stored (`relays`) before they are sent, so a transaction the node drops
 *   from its pool is sent again when its status is asked, and an answer is never lost.
 * - Success is reported once the transaction is included; a caller that does not wait gets
 *   `pending` with the hash and polls GET /v1/relays/{txHash}.
 * - Each caller has a daily budget of relays (RELAY_BUDGET_PER_DAY).
 * Times are the server's wall clock (operational bounds); block numbers come from the chain.
 */
import type { Kysely } from "kysely";
import { BaseError, keccak256, type Address, type Hex, type LocalAccount, type PublicClient, type WalletClient } from "viem";
import type { Database, RelaysTable } from "../../db/schema";
import { chainOf } from "../../chain/client";
import type { Deployment } from "../../chain/deployments";
import { QuotaExceededError, UnavailableError } from "./errors";
import { ConfigError } from "../../config/errors";
import { DAY_SECONDS as DAY } from "../../domain";

export type RelayState = RelaysTable["state"];

export interface RelayStatus {
  txHash: Hex;
  state: RelayState;
  loanId: number;
  nonce: number;
  blockNumber: number | null;
  /** When the relay was asked for (server clock, unix seconds). */
  createdAt: number;
}

export interface RelaySubmission {
  caller: Address;
  loanId: number;
  /** Calldata for CollectionLog. */
  data: Hex;
  /** Gas the simulation needed (the transaction gets a fifth more). */
  gas: bigint;
  /** The caller's Idempotency-Key, recorded with the relay. */
  idempotencyKey?: string;
}

export interface RelayerParameters {
  db: Kysely<Database>;
  client: PublicClient;
  wallet: WalletClient;
  deployment: Deployment;
  now: () => number;
  budgetPerDay: number;
  /** How often the receipt is polled while waiting (default 100 ms). */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shortMessage = (err: unknown) => (err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err)).split("\n")[0];
/** The node already has this nonce (another process sent first, or it mined meanwhile). */
const isNonceClash = (err: unknown) => /nonce too low|nonce has already been used|already known|replacement transaction underpriced|nonce.*lower than/i.test(err instanceof BaseError ? `${err.shortMessage} ${err.details}` : String(err));

export function createRelayer({ db, client, wallet, deployment, now, budgetPerDay, pollMs = 100 }: RelayerParameters) {
  const given = wallet.account as LocalAccount | undefined;
  if (!given || typeof given.signTransaction !== "function") throw new ConfigError("the relayer needs a local account (RELAYER_KEY)");
  const account: LocalAccount = given;
  const address = account.address;
  const chain = wallet.chain ?? chainOf(deployment);
  let next: number | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `fn` after every earlier call has finished (one nonce at a time). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const statusOf = (r: RelaysTable): RelayStatus => ({
    txHash: r.tx_hash as Hex,
    state: r.state,
    loanId: r.loan_id,
    nonce: r.nonce,
    blockNumber: r.block_number,
    createdAt: r.created_at,
  });

  async function nextNonce(): Promise<number> {
    const [pending, stored] = await Promise.all([
      client.getTransactionCount({ address, blockTag: "pending" }),
      db.selectFrom("relays").select((eb) => eb.fn.max("nonce").as("n")).where("relayer", "=", address).where("state", "=", "pending").executeTakeFirst(),
    ]);
    const fromDb = stored?.n === null || stored?.n === undefined ? 0 : Number(stored.n) + 1;
    return Math.max(pending, next ?? 0, fromDb);
  }

  async function checkBudget(caller: Address): Promise<void> {
    const since = now() - DAY;
    const used = await db.selectFrom("relays").select((eb) => eb.fn.countAll<number>().as("n")).where("caller", "=", caller).where("created_at", ">", since).executeTakeFirstOrThrow();
    if (Number(used.n) >= budgetPerDay) {
      const oldest = await db.selectFrom("relays").select("created_at").where("caller", "=", caller).where("created_at", ">", since).orderBy("created_at").limit(1).executeTakeFirst();
      throw new QuotaExceededError(
        `this caller has used its ${budgetPerDay} relayed transactions of the last 24 h (RELAY_BUDGET_PER_DAY); send from your own wallet with ?mode=unsigned`,
        oldest ? oldest.created_at + DAY - now() : DAY,
      );
    }
  }

  /** Signs, stores and sends the transaction; resolves with its hash once the node accepted it. */
  function submit(s: RelaySubmission): Promise<Hex> {
    return serial(async () => {
      await checkBudget(s.caller);
      for (let attempt = 0; ; attempt++) {
        const nonce = await nextNonce();
        const request = await client.prepareTransactionRequest({
          account,
          chain,
          to: deployment.collectionLog.address,
          data: s.data,
          nonce,
          gas: (s.gas * 6n) / 5n,
        });
        const raw = await account.signTransaction(request as never);
        const txHash = keccak256(raw);
        await db
          .insertInto("relays")
          .values({ tx_hash: txHash, caller: s.caller, loan_id: s.loanId, relayer: address, nonce, raw_tx: raw, state: "pending", block_number: null, idempotency_key: s.idempotencyKey ?? null, created_at: now() })
          .execute();
        try {
          await client.sendRawTransaction({ serializedTransaction: raw });
          next = nonce + 1;
          return txHash;
        } catch (err) {
          await db.deleteFrom("relays").where("tx_hash", "=", txHash).execute();
          next = undefined;
          if (isNonceClash(err) && attempt < 4) continue;
          throw new UnavailableError(`relaying failed: ${shortMessage(err)}`);
        }
      }
    });
  }

  /**
   * The relay's state as the chain says now: included or reverted once a receipt exists; dropped
   * when its nonce was used by another transaction; while pending, sent again if the node no
   * longer has it.
   */
  async function refresh(txHash: Hex): Promise<RelayStatus | undefined> {
    const r = await db.selectFrom("relays").selectAll().where("tx_hash", "=", txHash).executeTakeFirst();
    if (!r) return undefined;
    if (r.state !== "pending") return statusOf(r);
    const receipt = await client.getTransactionReceipt({ hash: txHash }).catch(() => undefined);
    if (receipt) {
      const state: RelayState = receipt.status === "success" ? "included" : "reverted";
      await db.updateTable("relays").set({ state, block_number: Number(receipt.blockNumber) }).where("tx_hash", "=", txHash).execute();
      return { ...statusOf(r), state, blockNumber: Number(receipt.blockNumber) };
    }
    const known = await client.getTransaction({ hash: txHash }).catch(() => undefined);
    if (!known) {
      const mined = await client.getTransactionCount({ address: r.relayer as Address, blockTag: "latest" });
      if (mined > r.nonce) {
        // Its nonce went to another transaction and it has no receipt: it will never be included.
        await db.updateTable("relays").set({ state: "dropped" }).where("tx_hash", "=", txHash).execute();
        return { ...statusOf(r), state: "dropped" };
      }
      await client.sendRawTransaction({ serializedTransaction: r.raw_tx as Hex }).catch((err: unknown) => {
        if (!isNonceClash(err)) throw new UnavailableError(`sending the relayed transaction again failed: ${shortMessage(err)}`);
      });
    }
    return statusOf(r);
  }

  return {
    address,
    submit,
    refresh,
    /** Waits up to `ms` for the relay to leave `pending`; returns its last state. */
    async await(txHash: Hex, ms: number): Promise<RelayStatus> {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = await refresh(txHash);
        if (!s) throw new UnavailableError(`relay ${txHash} is not recorded`);
        if (s.state !== "pending" || Date.now() >= deadline) return s;
        await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
      }
    },
    /** The relay made under a caller's Idempotency-Key, if any. */
    async byIdempotencyKey(caller: Address, key: string): Promise<RelayStatus | undefined> {
      const r = await db.selectFrom("relays").selectAll().where("caller", "=", caller).where("idempotency_key", "=", key).orderBy("created_at", "desc").limit(1).executeTakeFirst();
      return r ? refresh(r.tx_hash as Hex) : undefined;
    },
    /** Who asked for a relay (undefined if unknown). */
    async callerOf(txHash: Hex): Promise<string | undefined> {
      return (await db.selectFrom("relays").select("caller").where("tx_hash", "=", txHash).executeTakeFirst())?.caller;
    },
  };
}

export type Relayer = ReturnType<typeof createRelayer>;
