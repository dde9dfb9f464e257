import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import type { CollectionLog, LoanLedger, LoanRelief, MockERC20 } from "../../typechain-types";
import { loadDeployment } from "../../src/chain/deployments";
import { plainTypes, restructureTypedData } from "../../src/chain/typed-data";
import { generateSchedule, toIsoString, type ScheduleKind } from "../../src/domain";
import { buildBatchTree } from "../../src/domain/merkle";
import { DEMO_ACCOUNTS } from "./demo-accounts";
import { demoBorrower, demoCollection, demoInstallment, type DemoBorrower } from "./behaviour";
import { prng } from "./prng";
import { seedRelief } from "./seed-relief";
import { AUDITOR_ROLE, LENDER_ROLE } from "../../src/chain/roles";
import { DAY, encodeJurisdiction } from "../../src/domain";

export { DEMO_ACCOUNTS };

const HOUR = 3_600n;

export interface SeedOptions {
  /** Loans per lender (3 lenders). */
  loansPerLender: number;
  /** Months of history to simulate. */
  months: number;
  deploymentsDir?: string;
  /** Where the anchored batch's leaves are written (for upload to POST /v1/batches). */
  batchFile?: string;
  onProgress?: (done: number, total: number, label: string) => void;
  /** Seed of the borrowers' hidden propensities (16). */
  seed?: number;
}

/**
 * Seeds a realistic demo portfolio by advancing chain time month by month: 3 lenders with their
 * policies, 5 collectors, an auditor; loans over annuity, equal-principal and interest-only
 * schedules in the TestUSD stablecoin and off-chain CNY; repayments early, in grace, partial, late
 * and missed as each borrower's hidden propensity and hardship decide (behaviour.ts, `demoBorrower`;
 * the three borrowers with real accounts, who act in the scripted scenes, always pay late);
 * keeper pokes (reminders, penalties, classification changes, defaults); collector actions
 * including some that break contact rules; a promise to pay; a borrower's channel restriction and
 * dispute; a Merkle batch anchor over recorded actions; a restructuring the borrower signed (EIP-712); a charge-off and
 * a write-off; a payment holiday the borrower signed, in force when the demo opens, and a settlement of a loan far
 * behind (seed-relief.ts).
 */
export async function seedDemo(hre: HardhatRuntimeEnvironment, opts: SeedOptions) {
  const { ethers, network } = hre;
  const dep = loadDeployment(network.name, opts.deploymentsDir);
  const signers = await ethers.getSigners();
  const admin = signers[DEMO_ACCOUNTS.admin];
  const lenders = DEMO_ACCOUNTS.lenders.map((i) => signers[i]);
  const collectors = DEMO_ACCOUNTS.collectors.map((i) => signers[i]);
  const auditor = signers[DEMO_ACCOUNTS.auditor];
  const keeper = signers[DEMO_ACCOUNTS.keeper];
  const payers = DEMO_ACCOUNTS.payers.map((i) => signers[i]);
  const ledger = (await ethers.getContractAt("LoanLedger", dep.loanLedger.address)) as unknown as LoanLedger;
  const log = (await ethers.getContractAt("CollectionLog", dep.collectionLog.address)) as unknown as CollectionLog;
  const token = (await ethers.getContractAt("MockERC20", dep.testToken!.address)) as unknown as MockERC20;

  const totalSteps = 7 + opts.months * 6;
  let step = 0;
  const progress = (label: string) => opts.onProgress?.(++step, totalSteps, label);
  const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const goTo = async (t: bigint) => {
    if (t > (await now())) {
      await network.provider.send("evm_setNextBlockTimestamp", [Number(t)]);
      await network.provider.send("evm_mine", []);
    }
  };
  const send = async (p: Promise<{ wait(): Promise<unknown> }>) => (await p).wait();

  // --- roles, policies, money
  const LENDER = LENDER_ROLE;
  const AUDITOR = AUDITOR_ROLE;
  for (const l of lenders) await send(ledger.connect(admin).grantRole(LENDER, l.address));
  await send(ledger.connect(admin).grantRole(AUDITOR, auditor.address));
  const policies = [
    { graceDays: 3, penaltyRateBps: 700, lateFee: 0n },
    { graceDays: 5, penaltyRateBps: 600, lateFee: 2_000_000n },
    { graceDays: 3, penaltyRateBps: 500, lateFee: 0n },
  ];
  for (const [i, l] of lenders.entries()) {
    await send(
      ledger.connect(l).setPolicy({
        ...policies[i],
        substandardAfterDays: 90,
        doubtfulAfterDays: 270,
        lossAfterDays: 360,
        defaultAfterDays: 90,
        reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
      }),
    );
    await send(
      log.connect(l).setContactPolicy({
        maxConnectedCallsPerDay: 3,
        maxCallAttemptsPer7Days: 7,
        contactStartHour: 8,
        contactEndHour: 21,
        legalStageDpd: 60,
        actionWindowDays: 7,
      }),
    );
  }
  await send(ledger.connect(lenders[0]).setServicer(collectors[4].address, false));
  for (const p of payers) {
    await send(token.connect(admin).mint(p.address, 10n ** 14n));
    await send(token.connect(p).approve(dep.loanLedger.address, ethers.MaxUint256));
  }
  progress("roles, policies and funds");

  // --- loans
  const t0 = await now();
  const kinds: ScheduleKind[] = ["annuity", "equal-principal", "interest-only"];
  interface DemoLoan {
    id: bigint;
    lender: number;
    token: boolean;
    /** Null for the scripted borrowers (real accounts), who pay every installment late. */
    borrowerModel: DemoBorrower | null;
    /** Months in arrears at the last collection round. */
    behind: number;
    borrower: string;
    dueDates: bigint[];
    collector: number;
  }
  const loans: DemoLoan[] = [];
  const offsets = [480, 480, 480, 480, -300, 60];
  const JURISDICTION_BY_OFFSET: Record<number, string> = { [-300]: "US-NY", 60: "GB" };
  const random = prng(opts.seed ?? 16);
  for (const [li, lender] of lenders.entries()) {
    const firstDue = toIsoString(t0 + BigInt(20 + li * 4) * DAY).slice(0, 10);
    const params = [];
    for (let k = 0; k < opts.loansPerLender; k++) {
      const index = li * opts.loansPerLender + k;
      const onToken = index % 3 !== 2;
      const kind = kinds[index % 3];
      const principal = BigInt(5_000 + ((index * 7_919) % 45_000)) * (onToken ? 1_000_000n : 100n);
      const contractRateBps = 600 + ((index * 13) % 3) * 100;
      const schedule = generateSchedule({ kind, principal, annualRateBps: contractRateBps, count: 12, firstDue, frequency: "monthly" });
      // Borrower 0 of each lender is a real account (it signs a restructuring / restricts channels); so
      // are lender 0's borrowers 1 to 3, who behave as modelled but can sign relief (an arrears plan).
      const realAccount = k === 0 ? payers[li] : li === 0 && k <= 3 ? payers[2 + k] : undefined;
      const borrower = realAccount ? realAccount.address : ethers.getAddress(ethers.dataSlice(ethers.id(`demo-borrower-${index}`), 12));
      params.push({
        borrower,
        borrowerRef: ethers.id(`salt-${index}:customer-${100_000 + index}`),
        token: onToken ? dep.testToken!.address : ethers.ZeroAddress,
        currency: onToken ? "0x000000" : ethers.hexlify(ethers.toUtf8Bytes("CNY")),
        principal,
        contractRateBps,
        utcOffsetMinutes: offsets[index % offsets.length],
        // The book spans jurisdictions: borrowers on US Eastern time are in New York, those on UTC+1 in
        // the United Kingdom, the rest in mainland China (docs/jurisdictions.md: caps and contact rules).
        jurisdiction: encodeJurisdiction(JURISDICTION_BY_OFFSET[offsets[index % offsets.length]!] ?? "CN"),
        schedule: schedule.map((s) => ({ dueDate: s.dueDate, principal: s.principal, interest: s.interest })),
      });
      loans.push({
        id: 0n,
        lender: li,
        token: onToken,
        borrowerModel: k === 0 ? null : demoBorrower(random, opts.months),
        behind: 0,
        borrower,
        dueDates: schedule.map((s) => s.dueDate),
        collector: li === 0 ? (k % 2 === 0 ? 0 : 1) : li === 1 ? (k % 2 === 0 ? 2 : 3) : 4,
      });
    }
    const first = (await ledger.loanCount()) + 1n;
    for (let i = 0; i < params.length; i += 25) await send(ledger.connect(lender).registerLoans(params.slice(i, i + 25)));
    loans.filter((l) => l.lender === li).forEach((l, k) => (l.id = first + BigInt(k)));
  }
  progress("loans registered");
  for (const [ci, c] of collectors.entries()) {
    const mine = loans.filter((l) => l.collector === ci);
    for (const li of [0, 1, 2]) {
      const ids = mine.filter((l) => l.lender === li).map((l) => l.id);
      for (let i = 0; i < ids.length; i += 100) await send(log.connect(lenders[li]).assignCollector(ids.slice(i, i + 100), c.address));
    }
  }
  // The notifier records the notices it sends in each loan's trail, like a collector.
  const notifier = signers[DEMO_ACCOUNTS.notifier];
  for (const li of [0, 1, 2]) {
    const ids = loans.filter((l) => l.lender === li).map((l) => l.id);
    for (let i = 0; i < ids.length; i += 100) await send(log.connect(lenders[li]).assignCollector(ids.slice(i, i + 100), notifier.address));
  }
  progress("collectors assigned");

  // --- a borrower restricts SMS and later disputes (lender 0's first loan)
  const watched = loans[0];
  await send(log.connect(payers[0]).restrictChannel(watched.id, 1));

  /** Pays the installment due (and penalties), a share of it, or everything overdue. */
  const payOf = async (l: DemoLoan, at: bigint, what: "due" | "partial" | "overdue" = "due") => {
    const st = await ledger.loanState(l.id);
    if (Number(st.status) >= 2) return;
    let amount = what === "partial" ? (st.nextDueAmount * 60n) / 100n : st.nextDueAmount + st.penaltyOutstanding;
    if (what === "overdue" && st.amountOverdue > 0n) amount = st.amountOverdue + st.penaltyOutstanding;
    if (amount === 0n) return;
    if (l.token) await send(ledger.connect(payers[Number(l.id % BigInt(payers.length))]).repay(l.id, amount));
    else await send(ledger.connect(lenders[l.lender]).recordRepayment(l.id, amount, at, ethers.id(`bank-${l.id}-${at}`)));
  };
  const pokeAll = async () => {
    const ids = loans.map((l) => l.id);
    for (let i = 0; i < ids.length; i += 100) await send(ledger.connect(keeper).poke(ids.slice(i, i + 100)));
  };
  const localAt = (_l: DemoLoan, dayStart: bigint, hour: bigint, offsetMinutes: number) =>
    dayStart + hour * HOUR - BigInt(offsetMinutes) * 60n;
  const overdueNow = async (l: DemoLoan) => {
    const st = await ledger.loanState(l.id);
    return Number(st.status) === 0 && st.amountOverdue > 0n;
  };

  // --- a collection agency (docs/agencies.md): lender 1 places up to 20 of its loans in arrears with
  // it for 120 days at 1,500 bps, three months before the end; once the placement starts the agency
  // lets its collector work the first ten, who calls them. Payments on them from then on are the agency's.
  const agency = signers[DEMO_ACCOUNTS.agency];
  const agencyCollector = signers[DEMO_ACCOUNTS.agencyCollector];
  const placeWithAgency = async (placed: DemoLoan[]) => {
    if (placed.length === 0) return;
    const start = (await now()) + 60n;
    await send(log.connect(lenders[1]).placeLoans(placed.map((l) => l.id), agency.address, 1_500, start, start + 120n * DAY));
    await goTo(start);
    const id = await log.placementCount();
    const worked = placed.slice(0, 10);
    await send(log.connect(agency).assignAgencyCollector(id, worked.map((l) => l.id), agencyCollector.address));
    await send(log.connect(agencyCollector).recordActions(worked.map((l) => ({ loanId: l.id, channel: 0, kind: 1, outcome: 200, occurredAt: start, evidenceHash: ethers.id(`agency-call-${l.id}`) }))));
    progress(`placement ${id}: ${placed.length} loans with the agency`);
  };

  // --- months of history
  for (let m = 0; m < opts.months; m++) {
    const due = loans[0].dueDates[m];
    await goTo(due - 3n * DAY);
    await pokeAll();
    progress(`month ${m + 1}: reminders before due`);
    // Each borrower with nothing overdue decides how this installment is paid.
    const plan = new Map<DemoLoan, ReturnType<typeof demoInstallment>>();
    for (const l of loans) if (l.borrowerModel && l.behind === 0) plan.set(l, demoInstallment(l.borrowerModel, m, random));
    await goTo(due - DAY);
    for (const [l, how] of plan) if (how === "early") await payOf(l, await now());
    progress(`month ${m + 1}: repayments before due`);
    await goTo(due + 2n * DAY);
    for (const [l, how] of plan) if (how === "grace" || how === "partial") await payOf(l, await now(), how === "grace" ? "due" : "partial");
    progress(`month ${m + 1}: repayments in grace`);
    await goTo(due + 16n * DAY);
    await pokeAll();
    // Collectors call the loans in arrears at 10:00 local: reached (contact made) or not (no answer).
    // The first few of each collector's calls break a contact rule: one loan called 5 times a day,
    // one called at 22:00, one sent an SMS as well.
    const overdue: DemoLoan[] = [];
    for (const l of loans) if (await overdueNow(l)) overdue.push(l);
    const rounds = new Map(overdue.map((l) => [l, l.borrowerModel ? demoCollection(l.borrowerModel, m, l.behind, random) : { reached: true, pays: true }]));
    const dayStart = ((await now()) / DAY) * DAY;
    for (const [ci, c] of collectors.entries()) {
      const mine = overdue.filter((l) => l.collector === ci).slice(0, 40);
      const actions = mine.flatMap((l, i) => {
        const off = offsets[Number(l.id - 1n) % offsets.length];
        const base = localAt(l, dayStart - 2n * DAY, 10n, off);
        const reached = rounds.get(l)!.reached;
        const list = [{ loanId: l.id, channel: 0, kind: reached ? 1 : 0, outcome: reached ? 200 : 480, occurredAt: base, evidenceHash: ethers.id(`rec-${m}-${l.id}`) }];
        if (i === 0) for (let k = 1; k <= 4; k++) list.push({ loanId: l.id, channel: 0, kind: 1, outcome: 200 + k, occurredAt: base + BigInt(k) * 600n, evidenceHash: ethers.id(`rec-${m}-${l.id}-${k}`) });
        if (i === 1) list.push({ loanId: l.id, channel: 0, kind: 0, outcome: 486, occurredAt: localAt(l, dayStart - 2n * DAY, 22n, off), evidenceHash: ethers.id(`late-${m}-${l.id}`) });
        if (i === 2) list.push({ loanId: l.id, channel: 1, kind: 0, outcome: 0, occurredAt: base + 1_800n, evidenceHash: ethers.id(`sms-${m}-${l.id}`) });
        return list;
      });
      if (actions.length) await send(log.connect(c).recordActions(actions));
    }
    progress(`month ${m + 1}: collection calls`);
    if (m === Math.max(0, opts.months - 3)) await placeWithAgency(overdue.filter((l) => l.lender === 1).slice(0, 20));
    for (const l of overdue) {
      if (!l.borrowerModel) continue; // the scripted borrowers pay below
      if (rounds.get(l)!.pays) {
        await payOf(l, await now(), "overdue");
        l.behind = 0;
      } else l.behind++;
    }
    for (const l of loans) if (!l.borrowerModel) await payOf(l, await now());
    if (m === 1) {
      // A promise to pay, kept or broken by what follows.
      const late = loans.find((l) => l.borrowerModel && l.behind > 0 && l.collector === 0) ?? loans.find((l) => l.collector === 0 && l.borrowerModel);
      if (late) {
        const st = await ledger.loanState(late.id);
        if (st.nextDueAmount > 0n) {
          await send(log.connect(collectors[0]).recordPromise(late.id, st.nextDueAmount, (await now()) + 10n * DAY, ethers.id("promise-call-recording")));
        }
      }
      // The watched borrower disputes; the collector's next contact is flagged, then the lender validates.
      await send(log.connect(payers[0]).fileDispute(watched.id, ethers.id("dispute-letter.pdf")));
      await send(log.connect(collectors[0]).recordAction(watched.id, 1, 0, 0, await now(), ethers.id("sms-during-dispute")));
      await send(log.connect(lenders[0]).resolveDispute(watched.id, ethers.id("validation-notice.pdf")));
    }
    progress(`month ${m + 1}: late repayments`);
    await goTo(due + 29n * DAY);
    await pokeAll();
    progress(`month ${m + 1}: keeper`);
  }

  // --- a legal notice sent too early (flag 16 when DPD < 60)
  const legal = loans.find((l) => l.behind === 1 && l.collector === 1) ?? loans.find((l) => l.behind > 0 && l.collector === 1) ?? loans.find((l) => l.collector === 1);
  if (legal) await send(log.connect(collectors[1]).recordAction(legal.id, 4, 5, 1, await now(), ethers.id("lawyer-letter.pdf")));
  progress("legal notice");

  // --- a collector's recorded actions anchored as one Merkle batch (a digest whose leaves the
  // API accepts: each one an action on chain, read back from its ActionRecorded event)
  const recorded = await log.queryFilter(log.filters.ActionRecorded(undefined, undefined, collectors[2].address));
  const batchActions = recorded.slice(0, 20).map(({ args: a }) => ({
    loanId: a.loanId,
    seq: a.seq,
    collector: a.collector as `0x${string}`,
    channel: Number(a.channel),
    kind: Number(a.kind),
    outcome: Number(a.outcome),
    occurredAt: a.occurredAt,
    evidenceHash: a.evidenceHash as `0x${string}`,
  }));
  if (batchActions.length) {
    const tree = buildBatchTree(batchActions);
    await send(log.connect(collectors[2]).anchorBatch(tree.root, batchActions.length, "file:data/batches/batch-1.json"));
    if (opts.batchFile) {
      fs.mkdirSync(path.dirname(opts.batchFile), { recursive: true });
      fs.writeFileSync(
        opts.batchFile,
        JSON.stringify({ batchId: "1", root: tree.root, actions: batchActions }, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n",
      );
    }
  }

  // --- a restructuring the borrower signed (EIP-712), a charge-off, a write-off
  const restructured = loans[opts.loansPerLender]; // lender 1's first loan, borrower = payers[1]
  const st = await ledger.loanState(restructured.id);
  if (Number(st.status) === 0 && st.outstandingPrincipal > 0n) {
    const start = toIsoString((await now()) + 30n * DAY).slice(0, 10);
    const schedule = generateSchedule({ kind: "equal-principal", principal: st.outstandingPrincipal, annualRateBps: 500, count: 18, firstDue: start, frequency: "monthly" }).map((i) => ({
      dueDate: i.dueDate,
      principal: i.principal,
      interest: i.interest,
    }));
    const terms = await ledger.loanTerms(restructured.id);
    const deadline = (await now()) + DAY;
    // The borrower signs the installments themselves, with its nonce for this loan (src/chain/typed-data.ts).
    const td = restructureTypedData({
      chainId: (await ethers.provider.getNetwork()).chainId,
      loanLedger: dep.loanLedger.address,
      loanId: restructured.id,
      version: Number(terms.version) + 1,
      schedule,
      nonce: await ledger["nonces(address,uint192)"](payers[1].address, restructured.id),
      deadline,
    });
    const signature = await (payers[1] as unknown as Signer).signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
    await send(ledger.connect(lenders[1]).restructureWithSignature(restructured.id, schedule, deadline, signature));
  }
  // The two borrowers furthest behind: one charged off, one written off.
  const never = loans.filter((l) => l.borrowerModel && l.behind > 0).sort((x, y) => y.behind - x.behind || Number(x.id - y.id));
  if (never[0]) await send(ledger.connect(lenders[never[0].lender]).chargeOff(never[0].id));
  if (never[1]) await send(ledger.connect(lenders[never[1].lender]).writeOff(never[1].id));
  await pokeAll();
  progress("restructuring, charge-off, write-off");

  // --- relief: lender 2's real borrower gets a payment holiday; the third loan furthest behind is settled
  // (not the charged-off one: the demo's legal letters and emails are about the two furthest behind);
  // the first of lender 0's signing borrowers in arrears agrees an arrears plan
  const relief = (await ethers.getContractAt("LoanRelief", dep.loanLedger.address)) as unknown as LoanRelief;
  const holidayLoan = loans[2 * opts.loansPerLender]; // lender 2's first loan, borrower = payers[2]
  await seedRelief({
    dep,
    ledger,
    relief,
    chainId: (await ethers.provider.getNetwork()).chainId,
    holiday: { lender: lenders[2], borrower: payers[2], loanId: holidayLoan.id },
    settlement: never[2] ? { lender: lenders[never[2].lender], loanId: never[2].id } : undefined,
    arrears: { lender: lenders[0], candidates: [1, 2, 3].map((k) => ({ loanId: loans[k]!.id, borrower: payers[2 + k]! })) },
    now,
    send,
  });
  progress("payment holiday, settlement, arrears plan");
  return { ledger, log, token, loans, signers };
}
