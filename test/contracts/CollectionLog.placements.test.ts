import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { DAY } from "./helpers/fixtures";
import { Channel, Kind, placementFixture } from "./helpers/collection";
import { PlacementBook, PlacementError } from "../../src/domain";

type PF = Awaited<ReturnType<typeof placementFixture>>;
/** A note on the loan's trail by `who`, at `at`. */
const note = (f: PF, who: HardhatEthersSigner, loanId: bigint, at: bigint) => f.log.connect(who).recordAction(loanId, Channel.Other, Kind.Note, 0, at, ethers.id(`note ${at}`));

describe("CollectionLog: placements with collection agencies", function () {
  describe("placeLoans", function () {
    it("stores the placement, points each loan at it and emits PlacementCreated with the loans", async function () {
      const f = await loadFixture(placementFixture);
      const now = BigInt(await time.latest());
      const tx = f.log.connect(f.lender).placeLoans([f.westLoanId], f.otherAgency.address, 2_250, now + 100n, now + 100n + 30n * DAY);
      await expect(tx).to.emit(f.log, "PlacementCreated").withArgs(2n, f.lender.address, f.otherAgency.address, 2_250, now + 100n, now + 100n + 30n * DAY, [f.westLoanId]);
      const p = await f.log.placement(2n);
      expect([p.lender, p.agency, p.commissionBps, p.start, p.end, p.recalledAt, p.loanCount]).to.deep.equal([
        f.lender.address, f.otherAgency.address, 2_250n, now + 100n, now + 100n + 30n * DAY, 0n, 1n,
      ]);
      expect(await f.log.placementOfLoan(f.westLoanId)).to.equal(2n);
      expect(await f.log.placementCount()).to.equal(2n);
    });

    it("refuses bad placements with errors that name what is wrong", async function () {
      const f = await loadFixture(placementFixture);
      const now = BigInt(await time.latest());
      const place = (ids: bigint[], agency: string, bps: number, start: bigint, end: bigint) => f.log.connect(f.lender).placeLoans(ids, agency, bps, start, end);
      const ok = { start: now + 10n, end: now + 10n + DAY };
      await expect(place([], f.otherAgency.address, 100, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidPlacementSize").withArgs(0, 200);
      const many = Array.from({ length: 201 }, () => f.westLoanId);
      await expect(place(many, f.otherAgency.address, 100, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidPlacementSize").withArgs(201, 200);
      await expect(place([f.westLoanId], ethers.ZeroAddress, 100, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidAgency").withArgs(ethers.ZeroAddress);
      await expect(place([f.westLoanId], f.lender.address, 100, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidAgency").withArgs(f.lender.address);
      await expect(place([f.westLoanId], f.otherAgency.address, 10_001, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidCommission").withArgs(10_001);
      await expect(place([f.westLoanId], f.otherAgency.address, 100, now - 10n, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidPlacementPeriod");
      await expect(place([f.westLoanId], f.otherAgency.address, 100, ok.start, ok.start)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidPlacementPeriod");
      // Loan 1 is in placement 1, which runs for 90 days; a loan named twice meets itself.
      await expect(place([f.westLoanId, f.loanId], f.otherAgency.address, 100, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogLoanPlaced").withArgs(f.loanId, 1n);
      await expect(place([f.westLoanId, f.westLoanId], f.otherAgency.address, 100, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogLoanPlaced").withArgs(f.westLoanId, 2n);
      await expect(place([f.otherLoanId], f.otherAgency.address, 100, ok.start, ok.end)).to.be.revertedWithCustomError(f.log, "CollectionLogNotLender").withArgs(f.lender.address, f.otherLoanId);
      expect(await f.log.placementCount()).to.equal(1n);
      expect(await f.log.placementOfLoan(f.westLoanId)).to.equal(0n);
    });

    it("lets a loan be placed again once its placement is recalled or ended", async function () {
      const f = await loadFixture(placementFixture);
      await f.log.connect(f.lender).recallPlacement(f.placementId);
      let now = BigInt(await time.latest());
      await f.log.connect(f.lender).placeLoans([f.loanId], f.otherAgency.address, 500, now + 10n, now + 10n + DAY);
      await time.increaseTo(now + 10n + DAY); // placement 2 ends
      now = BigInt(await time.latest());
      await expect(f.log.connect(f.lender).placeLoans([f.loanId], f.agency.address, 500, now + 10n, now + 20n)).to.emit(f.log, "PlacementCreated");
      expect(await f.log.placementOfLoan(f.loanId)).to.equal(3n);
    });
  });

  describe("access through a placement", function () {
    it("lets the agency and its collector record on the placed loan only, and the lender's collector still records", async function () {
      const f = await loadFixture(placementFixture);
      const now = BigInt(await time.latest());
      await expect(note(f, f.agency, f.loanId, now)).to.emit(f.log, "ActionRecorded");
      await expect(note(f, f.agencyCollector, f.loanId, now)).to.emit(f.log, "ActionRecorded");
      await expect(note(f, f.collector, f.loanId, now)).to.emit(f.log, "ActionRecorded");
      await expect(note(f, f.agencyCollector, f.westLoanId, now)).to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned").withArgs(f.westLoanId, f.agencyCollector.address);
      await expect(note(f, f.otherAgency, f.loanId, now)).to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned");
      expect(await f.log.mayWorkPlaced(f.loanId, f.agencyCollector.address)).to.equal(true);
      expect(await f.log.isAssigned(f.loanId, f.agencyCollector.address)).to.equal(false); // the lender's assignments are separate
    });

    it("gives no access before the start, and none from the end on", async function () {
      const f = await loadFixture(placementFixture);
      const now = BigInt(await time.latest());
      await f.log.connect(f.lender).placeLoans([f.westLoanId], f.otherAgency.address, 500, now + DAY, now + 2n * DAY);
      await expect(note(f, f.otherAgency, f.westLoanId, now + 1n)).to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned");
      await expect(f.log.connect(f.otherAgency).assignAgencyCollector(2n, [f.westLoanId], f.stranger.address))
        .to.be.revertedWithCustomError(f.log, "CollectionLogPlacementNotActive");
      await time.increaseTo(now + DAY);
      await expect(note(f, f.otherAgency, f.westLoanId, now + DAY)).to.emit(f.log, "ActionRecorded");
      await time.setNextBlockTimestamp(now + 2n * DAY);
      await expect(note(f, f.otherAgency, f.westLoanId, now + 2n * DAY)).to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned");
      await expect(f.log.connect(f.lender).recallPlacement(2n)).to.be.revertedWithCustomError(f.log, "CollectionLogPlacementOver").withArgs(2n);
    });

    it("ends the agency's and its collectors' access at once on recall, and a new placement does not revive old collectors", async function () {
      const f = await loadFixture(placementFixture);
      await expect(f.log.connect(f.lender).recallPlacement(f.placementId)).to.emit(f.log, "PlacementRecalled");
      let now = BigInt(await time.latest());
      expect((await f.log.placement(f.placementId)).recalledAt).to.equal(now);
      for (const who of [f.agency, f.agencyCollector]) {
        await expect(note(f, who, f.loanId, now)).to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned").withArgs(f.loanId, who.address);
      }
      await expect(f.log.connect(f.agency).assignAgencyCollector(f.placementId, [f.loanId], f.stranger.address)).to.be.revertedWithCustomError(f.log, "CollectionLogPlacementNotActive");
      await expect(f.log.connect(f.lender).recallPlacement(f.placementId)).to.be.revertedWithCustomError(f.log, "CollectionLogPlacementOver");
      // Placed again with the same agency: its old collector needs a new assignment.
      await f.log.connect(f.lender).placeLoans([f.loanId], f.agency.address, 1_500, now + 10n, now + 10n + DAY);
      await time.increaseTo(now + 10n);
      now += 10n;
      await expect(note(f, f.agency, f.loanId, now)).to.emit(f.log, "ActionRecorded");
      await expect(note(f, f.agencyCollector, f.loanId, now)).to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned");
    });

    it("limits agency collectors to the placement's loans and lets the agency or the lender unassign them", async function () {
      const f = await loadFixture(placementFixture);
      await expect(f.log.connect(f.agency).assignAgencyCollector(f.placementId, [f.westLoanId], f.stranger.address))
        .to.be.revertedWithCustomError(f.log, "CollectionLogNotInPlacement").withArgs(f.westLoanId, f.placementId);
      await expect(f.log.connect(f.agency).assignAgencyCollector(f.placementId, [f.loanId], f.agencyCollector.address))
        .to.be.revertedWithCustomError(f.log, "CollectionLogAlreadyAssigned").withArgs(f.loanId, f.agencyCollector.address);
      await expect(f.log.connect(f.agency).assignAgencyCollector(f.placementId, [f.loanId], ethers.ZeroAddress)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidCollector");
      await expect(f.log.connect(f.agency).assignAgencyCollector(9n, [f.loanId], f.stranger.address)).to.be.revertedWithCustomError(f.log, "CollectionLogUnknownPlacement").withArgs(9n);
      await expect(f.log.connect(f.lender).unassignAgencyCollector(f.placementId, f.loanId, f.agencyCollector.address))
        .to.emit(f.log, "AgencyCollectorUnassigned").withArgs(f.placementId, f.loanId, f.agencyCollector.address);
      await expect(note(f, f.agencyCollector, f.loanId, BigInt(await time.latest()))).to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned");
      await expect(f.log.connect(f.agency).unassignAgencyCollector(f.placementId, f.loanId, f.agencyCollector.address))
        .to.be.revertedWithCustomError(f.log, "CollectionLogNotAssigned");
    });
  });

  describe("against the domain twin (PlacementBook)", function () {
    type Who = "lender" | "otherLender" | "agency" | "otherAgency" | "agencyCollector" | "collector" | "stranger";
    type Step =
      | { jump: number; op: "place"; who: Who; loans: number[]; agency: Who | "zero"; bps: number; startIn: number; length: number }
      | { jump: number; op: "recall"; who: Who; id: number }
      | { jump: number; op: "assign"; who: Who; id: number; loans: number[]; collector: Who | "zero" }
      | { jump: number; op: "unassign"; who: Who; id: number; loan: number; collector: Who }
      | { jump: number; op: "record"; who: Who; loan: number };
    const whoArb = fc.constantFrom<Who>("agency", "agency", "agencyCollector", "agencyCollector", "otherAgency", "collector", "stranger", "lender");
    const loanArb = fc.integer({ min: 1, max: 3 });
    const jumpArb = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 600 }) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 5 * 86_400 }) },
      { weight: 1, arbitrary: fc.integer({ min: 20 * 86_400, max: 100 * 86_400 }) },
    );
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("place" as const), who: fc.constantFrom<Who>("lender", "lender", "lender", "otherLender", "agency"), loans: fc.oneof({ weight: 6, arbitrary: fc.array(loanArb, { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: fc.array(loanArb, { maxLength: 3 }) }), agency: fc.constantFrom<Who | "zero">("agency", "agency", "otherAgency", "otherAgency", "lender", "zero"), bps: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 10_000 }) }, { weight: 1, arbitrary: fc.constant(10_001) }), startIn: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 5 * 86_400 }) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: -1 }) }), length: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 40 * 86_400 }) }, { weight: 1, arbitrary: fc.constant(0) }) }) },
      { weight: 1, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("recall" as const), who: fc.constantFrom<Who>("lender", "otherLender", "agency"), id: fc.integer({ min: 1, max: 5 }) }) },
      { weight: 3, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("assign" as const), who: fc.constantFrom<Who>("agency", "otherAgency", "lender"), id: fc.integer({ min: 1, max: 5 }), loans: fc.array(loanArb, { minLength: 1, maxLength: 2 }), collector: fc.constantFrom<Who | "zero">("agencyCollector", "stranger", "zero") }) },
      { weight: 1, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("unassign" as const), who: fc.constantFrom<Who>("agency", "lender", "stranger"), id: fc.integer({ min: 1, max: 5 }), loan: loanArb, collector: fc.constantFrom<Who>("agencyCollector", "stranger") }) },
      { weight: 5, arbitrary: fc.record({ jump: jumpArb, op: fc.constant("record" as const), who: whoArb, loan: loanArb }) },
    );

    it("allows and refuses exactly what the model does, and agency access ends with the placement", async function () {
      const seen = { placed: 0, recalled: 0, recordedByAgency: 0, refusedAfterEnd: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 14 }), async (steps) => {
          const f = await loadFixture(placementFixture);
          const signers: Record<Who, HardhatEthersSigner> = {
            lender: f.lender, otherLender: f.otherLender, agency: f.agency, otherAgency: f.otherAgency, agencyCollector: f.agencyCollector, collector: f.collector, stranger: f.stranger,
          };
          const addr = (w: Who | "zero") => (w === "zero" ? ethers.ZeroAddress : signers[w].address);
          // The fixture's state in the model: loans 1 and 3 are the lender's, 2 the other lender's.
          const lenders = new Map([[1, f.lender.address], [2, f.otherLender.address], [3, f.lender.address]]);
          const book = new PlacementBook((id) => lenders.get(id));
          book.place(f.lender.address, [1], f.agency.address, 1_500, Number(f.placedAt), Number(f.end), Number(f.placedAt) - 1);
          book.assign(f.agency.address, 1, [1], f.agencyCollector.address, Number(f.placedAt));
          const lenderAssigned = (loan: number, w: Who) => w === "collector" && (loan === 1 || loan === 3);
          let t = BigInt(await time.latest());
          for (const s of steps) {
            t += BigInt(s.jump);
            await time.setNextBlockTimestamp(t);
            const now = Number(t);
            let expected: string | undefined;
            const model = (fn: () => void) => {
              try {
                fn();
              } catch (e) {
                if (!(e instanceof PlacementError)) throw e;
                expected = e.contractError;
              }
            };
            let sent: Promise<unknown>;
            const ids = (xs: number[]) => xs.map(BigInt);
            switch (s.op) {
              case "place": {
                const start = now + s.startIn;
                model(() => book.place(addr(s.who), s.loans, addr(s.agency), s.bps, start, start + s.length, now));
                sent = f.log.connect(signers[s.who]).placeLoans(ids(s.loans), addr(s.agency), s.bps, BigInt(start), BigInt(start + s.length));
                break;
              }
              case "recall":
                model(() => book.recall(addr(s.who), s.id, now));
                sent = f.log.connect(signers[s.who]).recallPlacement(BigInt(s.id));
                break;
              case "assign":
                model(() => book.assign(addr(s.who), s.id, s.loans, addr(s.collector), now));
                sent = f.log.connect(signers[s.who]).assignAgencyCollector(BigInt(s.id), ids(s.loans), addr(s.collector));
                break;
              case "unassign":
                model(() => book.unassign(addr(s.who), s.id, s.loan, addr(s.collector)));
                sent = f.log.connect(signers[s.who]).unassignAgencyCollector(BigInt(s.id), BigInt(s.loan), addr(s.collector));
                break;
              case "record": {
                const allowed = lenderAssigned(s.loan, s.who) || book.mayWork(s.loan, addr(s.who), now);
                if (!allowed) expected = "CollectionLogNotAssigned";
                else if (!lenderAssigned(s.loan, s.who)) seen.recordedByAgency++;
                const id = book.placementOfLoan(s.loan);
                if (!allowed && id && book.get(id)!.end <= now && (s.who === "agency" || s.who === "agencyCollector")) seen.refusedAfterEnd++;
                sent = note(f, signers[s.who], BigInt(s.loan), t);
                break;
              }
            }
            let actual: string | undefined;
            try {
              await sent;
            } catch (e) {
              const err = e as { revert?: { name?: string }; message?: string };
              actual = err.revert?.name ?? /custom error '(\w+)\(/.exec(err.message ?? "")?.[1] ?? String(e);
              // The transaction was refused; keep the clock moving as the model's did.
              await time.setNextBlockTimestamp(t + 1n);
              await ethers.provider.send("evm_mine", []);
              t += 1n;
            }
            expect(actual, `${s.op} at ${now}: ${JSON.stringify(s)}`).to.equal(expected);
            if (!expected && s.op === "place") seen.placed++;
            if (!expected && s.op === "recall") seen.recalled++;
          }
          expect(await f.log.placementCount()).to.equal(BigInt(book.placements.length));
          for (const loan of [1, 2, 3]) expect(await f.log.placementOfLoan(loan)).to.equal(BigInt(book.placementOfLoan(loan)));
          for (const p of book.placements) {
            const c = await f.log.placement(p.id);
            expect([c.lender, c.agency, Number(c.commissionBps), Number(c.start), Number(c.end), Number(c.recalledAt)]).to.deep.equal([
              p.lender, p.agency, p.commissionBps, p.start, p.end, p.recalledAt ?? 0,
            ]);
          }
        }),
        { numRuns: 80, seed: 18_2026 },
      );
      // The run exercised what it claims to: placements made and recalled, agencies working, access ended by time.
      console.log(`      placements: ${JSON.stringify(seen)}`);
      expect(seen.placed, JSON.stringify(seen)).to.be.greaterThan(5);
      expect(seen.recalled).to.be.greaterThan(2);
      expect(seen.recordedByAgency).to.be.greaterThan(10);
      expect(seen.refusedAfterEnd).to.be.greaterThan(2);
    });
  });
});
