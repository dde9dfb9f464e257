/**
 * The notice tests' world: a hardhat node with the contracts and a small workload, loans of UTC+8
 * borrowers with their contacts, channel adapters that keep what they are given, and the
 * dispatcher's and recorder's parts wired to a test database.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ethers } from "ethers";
import type { Kysely } from "kysely";
import { createWalletClient, http, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { chainOf, createChainClient } from "../../src/chain/client";
import { loadDeployment } from "../../src/chain/deployments";
import { upsertContacts } from "../../src/db/contacts";
import type { Database } from "../../src/db/schema";
import { DAY, DEFAULT_NOTICE_CAPS } from "../../src/domain";
import { PiiKey, piiKeyring, type PiiKeyring } from "../../src/pii/crypto";
import type { BorrowerContact } from "../../src/pii/contact";
import { ChannelSendError } from "../../src/notify/errors";
import type { DispatcherDeps } from "../../src/notify/dispatcher";
import type { PlanFor } from "../../src/notify/planner";
import type { RecorderDeps } from "../../src/notify/recorder";
import type { ChannelAdapter, NoticeChannel, OutgoingMessage } from "../../src/notify/types";
import { rpc } from "../support/chain";
import type { Chain } from "../indexer/helpers/activity";
import { tempDir } from "../indexer/helpers/harness";

const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
/** The notifier: hardhat account 5 (a public development key). */
export const notifierAccount = () => mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: 5 });

export const testKeyring = (): PiiKeyring => piiKeyring({ piiKey: new PiiKey("t1", crypto.createHash("sha256").update("notify tests").digest()) });

/** A contact for borrower ref `ref` with every channel consented, UTC+8. */
export function contactOf(ref: string, over: Partial<BorrowerContact> = {}): BorrowerContact {
  return {
    borrowerRef: ref as `0x${string}`,
    email: `b${ref.slice(2, 8)}@example.com`,
    phone: "+8613900000000",
    postalAddress: "1 Test Road\nShanghai",
    language: "en",
    timeZone: "Asia/Shanghai",
    jurisdiction: "CN",
    consent: { sms: true, email: true, letter: true, webhook: true },
    ...over,
  };
}

/** A channel that keeps every message, and fails on demand. */
export function recordingChannel(channel: NoticeChannel, opts: { delivered?: boolean } = {}) {
  const sent: OutgoingMessage[] = [];
  let failNext: { retryable: boolean; times: number } | undefined;
  const adapter: ChannelAdapter & { sent: OutgoingMessage[]; failWith(retryable: boolean, times?: number): void } = {
    channel,
    sent,
    failWith(retryable, times = 1) {
      failNext = { retryable, times };
    },
    async send(m) {
      if (failNext && failNext.times > 0) {
        failNext.times--;
        throw new ChannelSendError(channel, failNext.retryable ? "connect ECONNREFUSED 127.0.0.1:1" : "rejected by the provider (550)", { retryable: failNext.retryable });
      }
      sent.push(m);
      return { providerId: `p-${m.id}`, delivered: opts.delivered ?? channel !== "sms" };
    },
  };
  return adapter;
}

/** The plan of the tests: overdue reminders by SMS, email as fallback. */
export const testPlan: PlanFor = async (_db, t) => (t.name === "ReminderTriggered" ? [{ template: "reminder.overdue", channels: ["sms", "email"], kind: "reminder", planVersion: null }] : []);

/** A content-addressed store in a temp folder. */
export function tempEvidence() {
  const dir = tempDir("notify-evidence");
  return {
    dir,
    async store(bytes: Uint8Array) {
      const hex = crypto.createHash("sha256").update(bytes).digest("hex");
      fs.writeFileSync(path.join(dir, hex), bytes);
      return `0x${hex}`;
    },
    async read(hash: string) {
      return new Uint8Array(fs.readFileSync(path.join(dir, hash.slice(2))));
    },
  };
}

export function dispatcherDeps(db: Kysely<Database>, rpcUrl: string, over: Partial<DispatcherDeps> = {}) {
  const evidence = tempEvidence();
  const channels = { sms: recordingChannel("sms"), email: recordingChannel("email"), letter: recordingChannel("letter"), webhook: recordingChannel("webhook") };
  const deps: DispatcherDeps = {
    db,
    owner: `test-${crypto.randomBytes(3).toString("hex")}`,
    channels,
    keyring: testKeyring(),
    render: async (_db, requests) =>
      requests.map((r) => {
        const text = `Loan ${r.notice.loan_id}: ${r.notice.template} (${r.notice.id})`;
        const body = r.notice.channel === "email" ? `Subject: Payment reminder\n\n${text}` : text;
        return { template: r.notice.template, templateVersion: 1, language: r.contact?.language ?? "en", contentType: "text/plain; charset=utf-8", bytes: new TextEncoder().encode(body), subject: "Payment reminder", text };
      }),
    storeEvidence: evidence.store,
    readEvidence: evidence.read,
    capsFor: async () => DEFAULT_NOTICE_CAPS,
    webhookUrlFor: async () => "http://127.0.0.1:9/hook",
    notifier: notifierAccount().address,
    chainNow: async () => BigInt((await rpc<{ timestamp: string }>(rpcUrl, "eth_getBlockByNumber", ["latest", false])).timestamp),
    nowMs: Date.now,
    leaseMs: 30_000,
    maxAttempts: 3,
    backoffSec: (a) => 60 * 2 ** (a - 1),
    ...over,
  };
  return { deps, channels, evidence };
}

export function recorderDeps(db: Kysely<Database>, rpcUrl: string, deploymentsDir: string): RecorderDeps {
  const deployment = loadDeployment("localhost", deploymentsDir);
  const account = notifierAccount();
  const client = createChainClient(rpcUrl);
  void createWalletClient({ account, chain: chainOf(deployment, rpcUrl), transport: http(rpcUrl) });
  return { db, client, account, deployment, nowMs: Date.now };
}

/** Registers `n` loans of UTC+8 borrowers, assigns the collector and the notifier, stores their contacts; returns ids and refs. */
export async function loansWithContacts(chain: Chain, db: Kysely<Database>, n: number, tag: string, contact: (ref: string, i: number) => Partial<BorrowerContact> = () => ({})) {
  const ids = await chain.registerLoans(n, tag);
  const lender = (await chain.accounts.lender.getAddress()) as Address;
  await (await chain.log.connect(chain.accounts.lender).assignCollector(ids, notifierAccount().address)).wait();
  const refs = ids.map((_, i) => ethers.id(`${tag}-${i}`));
  await upsertContacts(db, testKeyring(), ethers.getAddress(lender) as Address, refs.map((r, i) => contactOf(r, contact(r, i))), 0);
  return { ids, refs, lender };
}

/**
 * Moves chain time forward to the next `hour`:00 in UTC+8 at least `minDays` days on (takes
 * effect with the next block, which this mines).
 */
export async function moveToShanghaiHour(chain: Chain, hour: number, minDays = 0): Promise<bigint> {
  const now = (await chain.latest()).timestamp;
  const local = now + 8n * 3_600n + BigInt(minDays) * DAY;
  let target = (local / DAY) * DAY + BigInt(hour) * 3_600n;
  if (target <= local) target += DAY;
  const utc = target - 8n * 3_600n;
  await chain.increaseTime(utc - now);
  await chain.mineEmpty(1);
  return utc;
}
