/**
 * Notice ids. A notice is one (trigger, channel); its id is derived from the two, so creating it
 * twice (a planner pass repeated after a crash, two dispatchers, a repeated request) hits the
 * primary key instead of making a second notice, and every retry shows the provider the same id
 * (the SMS client reference, the email's Message-ID, the webhook-id): its idempotency key.
 *
 * Trigger ids:
 *  - a contract event: `ev:` + SHA-256 of (chain id, emitting address, topics, data) — what the
 *    event says, not where it is. A reorg that includes the same event again (the keeper's poke
 *    mined anew, in another transaction and block) gives the same id, so a notice already sent is
 *    not sent again; an event with other arguments is another trigger. The trigger events never
 *    repeat their arguments on one loan (a reminder names its installment, stage and due date; a
 *    promise its sequence number; a proposal its version; a default happens once; a penalty or a
 *    classification event states a new amount or class with the DPD of its day).
 *  - a derived trigger (a promise broken): `promise-broken:<loanId>:<seq>`.
 *  - an explicit request: `req:` + SHA-256 of (caller, Idempotency-Key or a random nonce).
 */
import crypto from "node:crypto";
import type { NoticeChannel } from "../db/notify-tables";

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** The trigger id of a contract event. `topics`: the log's topics, 0x hex. */
export function eventTriggerId(chainId: number, address: string, topics: readonly string[], data: string): string {
  return `ev:${sha256([chainId, address.toLowerCase(), ...topics.map((t) => t.toLowerCase()), data.toLowerCase()].join("|"))}`;
}

/** The trigger id of a broken promise: one per promise. */
export function promiseBrokenTriggerId(loanId: bigint | number, seq: bigint | number): string {
  return `promise-broken:${loanId}:${seq}`;
}

/** The trigger id of an explicit request by `caller` under `key` (its Idempotency-Key, or a random nonce). */
export function requestTriggerId(caller: string, key: string): string {
  return `req:${sha256(`${caller.toLowerCase()}|${key}`)}`;
}

/** The notice id of (trigger, channel): `ntc_` + 32 hex (128 bits of SHA-256). */
export function noticeId(triggerId: string, channel: NoticeChannel): string {
  return `ntc_${sha256(`${triggerId}|${channel}`).slice(0, 32)}`;
}
