/**
 * src/db/rules-sql.ts against src/domain (fast-check): the generated SQL, evaluated by SQLite (in
 * memory) and PostgreSQL, gives what daysLate, bucketOf, classify and penaltyDays give, and
 * dueKeyRange selects what daysLate says, over random cases. Each run stores a few hundred cases
 * (due keys around day boundaries, thresholds and bucket ends, the repaid sentinel; random
 * ordered thresholds, statuses and grace days) in a table typed as `loans` and `policies` are,
 * then evaluates every rule for all of them in one query at one time `t`, as the API does.
 */
import { expect } from "chai";
import fc from "fast-check";
import { sql, type Kysely } from "kysely";
import { openDatabase, type DatabaseHandle } from "../../src/db/connect";
import { bucket, classification, dpd, dueKeyRange, penaltyStarted, policyThresholds } from "../../src/db/rules-sql";
import {
  Bucket,
  bucketDpdRange,
  bucketOf,
  classify,
  DAY,
  daysLate,
  InvalidArgumentError,
  LoanStatus,
  MAX_GRACE_DAYS,
  MAX_UINT16,
  penaltyDays,
  type ClassificationThresholds,
} from "../../src/domain";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../indexer/helpers/harness";

const SEC = Number(DAY);
/** due_key of a repaid loan (the indexer's sentinel). */
const REPAID = Number.MAX_SAFE_INTEGER;
/** Due dates are uint40 on chain; times stay below that too. */
const MAX_TIME = 2 ** 40 - 1;

interface Case {
  due: number;
  status: number;
  thresholds: ClassificationThresholds;
  grace: number;
}

/** 0 < substandard < doubtful < loss, as setPolicy requires: mostly small (DPDs reach them), sometimes anywhere in uint16. */
const thresholdsArb = fc
  .oneof(
    fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 3, maxLength: 3 }),
    fc.uniqueArray(fc.integer({ min: 1, max: MAX_UINT16 }), { minLength: 3, maxLength: 3 }),
  )
  .map((xs) => {
    const [substandardAfterDays, doubtfulAfterDays, lossAfterDays] = [...xs].sort((a, b) => a - b);
    return { substandardAfterDays, doubtfulAfterDays, lossAfterDays };
  });

/** Bucket ends and their neighbours, in days. */
const BUCKET_ENDS = Object.values(Bucket).flatMap((b) => {
  const { min, max } = bucketDpdRange(b);
  return [min, ...(max === null ? [] : [max])].map(Number);
});

/** A case whose due key lies around a day boundary `t - k days` (k near a threshold, a bucket end, 0, or anywhere), or is the repaid sentinel. */
function caseArb(t: number): fc.Arbitrary<Case> {
  return fc.record({ thresholds: thresholdsArb, status: fc.constantFrom(...Object.values(LoanStatus)), grace: fc.integer({ min: 0, max: MAX_GRACE_DAYS }) }).chain(({ thresholds, status, grace }) => {
    const days = fc.oneof(
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(thresholds.substandardAfterDays, thresholds.doubtfulAfterDays, thresholds.lossAfterDays, grace, ...BUCKET_ENDS),
      fc.integer({ min: -400, max: 70_000 }),
    );
    const nudge = fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -SEC + 1, max: SEC - 1 }));
    const around = fc.tuple(days, fc.constantFrom(-1, 0, 1), nudge).map(([k, dk, s]) => t - (k + dk) * SEC + s);
    const due = fc.oneof({ arbitrary: around, weight: 8 }, { arbitrary: fc.constant(REPAID), weight: 1 }, { arbitrary: fc.integer({ min: 0, max: MAX_TIME }), weight: 1 });
    return due.filter((d) => d >= 0).map((d) => ({ due: d, status, thresholds, grace }));
  });
}

/** A DPD filter as GET /v1/loans builds it: a bucket's range, or minDpd/maxDpd (0..100000). */
const dpdFilterArb: fc.Arbitrary<[number, number]> = fc.oneof(
  fc.constantFrom(...Object.values(Bucket)).map((b): [number, number] => {
    const { min, max } = bucketDpdRange(b);
    return [Number(min), max === null ? Number.MAX_SAFE_INTEGER : Number(max)];
  }),
  fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constant(Number.MAX_SAFE_INTEGER))),
);

/** What the domain says of a case at `t`. */
function expected(c: Case, t: number, [minDpd, maxDpd]: [number, number]) {
  const late = daysLate(BigInt(c.due), BigInt(t));
  return {
    dpd: Number(late),
    bucket: bucketOf(late),
    classification: classify(late, c.thresholds, c.status as LoanStatus),
    open: classify(late, c.thresholds),
    penalty: penaltyDays(BigInt(c.due), BigInt(t), c.grace) > 0n,
    inRange: late >= BigInt(minDpd) && late <= BigInt(maxDpd),
  };
}

/** The test's table (outside the app's schema). */
interface RuleCases {
  rule_cases: {
    id: number;
    due_key: number | null;
    status: number;
    substandard_after_days: number;
    doubtful_after_days: number;
    loss_after_days: number;
    grace_days: number;
  };
}

describeEachDialect("db/rules-sql: the SQL forms of the lateness rules equal src/domain's", (dialect) => {
  let test: TestDatabase | undefined;
  let handle: DatabaseHandle;
  let db: Kysely<RuleCases>;

  before(async function () {
    this.timeout(60_000);
    if (dialect === "postgres") test = createTestDatabase("postgres", "rules_sql");
    handle = test ? await test.open() : await openDatabase(":memory:");
    db = handle.db as unknown as Kysely<RuleCases>;
    // Typed as the columns the API reads: loans.due_key and status, policies' thresholds, loans.grace_days.
    await sql`create table rule_cases (id integer primary key, due_key bigint, status integer not null,
      substandard_after_days integer not null, doubtful_after_days integer not null, loss_after_days integer not null,
      grace_days integer not null)`.execute(db);
  });
  after(async () => {
    await handle?.close();
    await test?.drop();
  });

  /** Stores `cases` and evaluates every rule for them at `t` in one query. */
  async function evaluate(cases: (Omit<Case, "due"> & { due: number | null })[], t: number, [minDpd, maxDpd]: [number, number]) {
    await sql`delete from rule_cases`.execute(db);
    await db
      .insertInto("rule_cases")
      .values(cases.map((c, id) => ({ id, due_key: c.due, status: c.status, substandard_after_days: c.thresholds.substandardAfterDays, doubtful_after_days: c.thresholds.doubtfulAfterDays, loss_after_days: c.thresholds.lossAfterDays, grace_days: c.grace })))
      .execute();
    const d = dpd(sql.ref("c.due_key"), t);
    const th = policyThresholds("c");
    // The route compares due_key with dueKeyRange's bounds as bound parameters; so does this.
    const { lo, hi } = dueKeyRange(t, minDpd, maxDpd);
    const { rows } = await sql<Record<string, unknown>>`
      select ${d} as dpd, ${bucket(d)} as bucket, ${classification(d, th, sql.ref("c.status"))} as classification,
        ${classification(d, th)} as open, case when ${penaltyStarted(sql.ref("c.due_key"), t, sql.ref("c.grace_days"))} then 1 else 0 end as penalty,
        case when c.due_key >= ${lo} and c.due_key <= ${hi} then 1 else 0 end as in_range
      from rule_cases c order by c.id`.execute(db);
    return rows.map((r) => ({
      dpd: Number(r.dpd),
      bucket: Number(r.bucket),
      classification: Number(r.classification),
      open: Number(r.open),
      penalty: Number(r.penalty) === 1,
      inRange: Number(r.in_range) === 1,
    }));
  }

  it("DPD, bucket, classification, start of default interest and the due_key range, over random cases", async function () {
    this.timeout(300_000);
    const arb = fc
      .integer({ min: 0, max: MAX_TIME })
      .chain((t) => fc.tuple(fc.constant(t), fc.array(caseArb(t), { minLength: 1, maxLength: 300 }), dpdFilterArb));
    await fc.assert(
      fc.asyncProperty(arb, async ([t, cases, filter]) => {
        const got = await evaluate(cases, t, filter);
        const want = cases.map((c) => expected(c, t, filter));
        const i = got.findIndex((g, k) => JSON.stringify(g) !== JSON.stringify(want[k]));
        expect(i, i < 0 ? "" : `t ${t}, filter ${filter}, case ${JSON.stringify(cases[i])}: SQL ${JSON.stringify(got[i])}, domain ${JSON.stringify(want[i])}`).to.equal(-1);
        expect(got).to.have.length(cases.length);
      }),
      { numRuns: 100 },
    );
  });

  it("a null due date counts 0 days late, as the SQL the API used before did", async () => {
    const thresholds = { substandardAfterDays: 90, doubtfulAfterDays: 270, lossAfterDays: 360 };
    const [row] = await evaluate([{ due: null, status: LoanStatus.Active, thresholds, grace: 3 }], 1_700_000_000, [0, 0]);
    expect(row).to.include({ dpd: 0, bucket: Bucket.M0, classification: 0, open: 0, penalty: false });
  });
});

describe("db/rules-sql: times enter as integer literals", function () {
  it("refuses a time that is not a safe integer (it would not be a literal of the same value)", () => {
    expect(() => dpd(sql.ref("loans.due_key"), 1.5)).to.throw(InvalidArgumentError);
    expect(() => penaltyStarted(sql.ref("loans.due_key"), 2 ** 53, sql.ref("loans.grace_days"))).to.throw(InvalidArgumentError);
  });
});
