/**
 * Malformed requests across every operation of the OpenAPI document (fast-check): wrong types,
 * huge and negative numbers, unicode, unknown and repeated parameters, bad cursors, bad JSON,
 * oversized bodies, odd methods and long paths. Never a 5xx; every 4xx is problem+json.
 */
import fs from "node:fs";
import http from "node:http";
import { expect } from "chai";
import fc from "fast-check";
import { collectionLogAbi } from "../../src/chain/abis";
import { buildBatchTree, type Action } from "../../src/domain";
import { apiFixture, describeEachDialect, TEST_SMS_RECEIPT_SECRET, type ApiFixture, type Role } from "./fixture";
import { RECEIPT_SIGNATURE_HEADER, signReceipt } from "../../src/notify/channels/sms";
import { fetchDocument, operationsOf, type Operation } from "./helpers/openapi";

interface Raw {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** A raw HTTP exchange (http.request: any method token, any path bytes the client accepts). Undefined if the client itself refuses to send it. */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Raw | undefined> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      req = http.request({ host: u.hostname, port: u.port, method, path, headers, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        if (String(res.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body: "" });
          req.destroy();
          return;
        }
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
    } catch {
      return resolve(undefined); // e.g. ERR_UNESCAPED_CHARACTERS: not a request a client can send
    }
    req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${path.slice(0, 200)}`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function problems(r: Raw, method: string): string | undefined {
  if (r.status >= 500) return `status ${r.status}: ${r.body.slice(0, 300)}`;
  if (r.status < 400) return undefined;
  if (!r.contentType?.startsWith("application/problem+json")) return `status ${r.status} with content type ${r.contentType}`;
  if (method === "HEAD") return undefined;
  try {
    const p = JSON.parse(r.body) as { status?: unknown; title?: unknown; type?: unknown; detail?: unknown };
    if (p.status !== r.status || typeof p.title !== "string" || typeof p.type !== "string" || typeof p.detail !== "string") return `not a problem body: ${r.body.slice(0, 300)}`;
    if (/\bat \S+ \(.*:\d+:\d+\)/.test(r.body)) return `stack trace in the body: ${r.body.slice(0, 300)}`;
  } catch {
    return `body is not JSON: ${r.body.slice(0, 300)}`;
  }
  return undefined;
}

// ------------------------------------------------------------------ arbitraries

const hugeNumbers = fc.constantFrom("99999999999999999999999", "9007199254740993", "1e308", "-1", "-0", "0", "NaN", "Infinity", "0x10", "1.5", " 1", "1 ", "+1", "00001");
const nasty = fc.constantFrom(
  "",
  " ",
  "null",
  "undefined",
  "true",
  "[]",
  "{}",
  "%00",
  "\u0000",
  "💥",
  "ｌｏａｎ",
  "\u202e",
  "' or 1=1 --",
  "\"; drop table loans; --",
  "../../etc/passwd",
  "<script>",
  "0x",
  "0xZZ",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  "M2",
  "M7+",
  "-dpd",
  "status,repayment",
  "1-2",
  "x".repeat(5_000),
);
const value = fc.oneof(hugeNumbers, nasty, fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 20 }), fc.integer().map(String), fc.double().map(String));
/** Cursors: random base64url, base64url of random JSON, valid-looking shapes with wrong types. */
const cursor = fc.oneof(
  fc.base64String({ maxLength: 80 }),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString("base64url")),
  fc.record({ s: value, k: fc.oneof(fc.integer(), value), id: fc.oneof(fc.integer(), value) }).map((v) => Buffer.from(JSON.stringify(v)).toString("base64url")),
  fc.record({ b: fc.oneof(fc.integer(), value), l: fc.oneof(fc.integer(), value) }).map((v) => Buffer.from(JSON.stringify(v)).toString("base64url")),
  fc.constant("x".repeat(600)),
);
const enc = (s: string) => encodeURIComponent(s);

function pathArb(op: Operation): fc.Arbitrary<string> {
  const param = fc.oneof(value, fc.integer({ min: 1, max: 20 }).map(String));
  return fc.tuple(...op.pathParams.map(() => param)).map((vals) => {
    let i = 0;
    return op.path.replace(/\{[^}]+\}/g, () => enc(vals[i++] ?? "1"));
  });
}

function queryArb(op: Operation): fc.Arbitrary<string> {
  const known = op.queryParams.length ? fc.constantFrom(...op.queryParams) : fc.constant("limit");
  const name = fc.oneof(known, known, fc.constantFrom("cursor", "limit", "sort", "__proto__", "constructor", "a[b]", "lender"), fc.string({ maxLength: 10 }));
  const pair = fc.tuple(name, fc.oneof(value, cursor)).map(([k, v]) => `${enc(k)}=${enc(v)}`);
  const rawPair = fc.tuple(name, fc.constantFrom("%", "%zz", "%E0%A4%A", "a&&b", "=", "==", "%26")).map(([k, v]) => `${enc(k)}=${v}`);
  return fc.array(fc.oneof(pair, pair, rawPair), { maxLength: 6 }).map((ps) => (ps.length ? `?${ps.join("&")}` : ""));
}

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom("loanId", "channel", "kind", "outcome", "occurredAt", "evidenceHash", "message", "signature", "amount", "sha256", "template", "language", "email", "phone", "postalAddress", "timeZone", "jurisdiction", "consentSms", "__proto__"), fc.oneof(value, fc.integer(), fc.double(), fc.boolean(), fc.constant(null))).map((v) => JSON.stringify(v)),
  fc.constantFrom("{", "{\"a\":", "[1,2", "nul", "\"unterminated", "{\"a\":1}}", "\u0000", "{'single': 1}", "NaN"),
  fc.constant(JSON.stringify({ deep: JSON.parse("[".repeat(500) + "]".repeat(500)) as unknown })),
);

const ROLES: (Role | undefined)[] = ["auditor", "lender", "collector", "otherCollector", undefined];

describeEachDialect("fuzz: malformed requests never cause a 5xx", (dialect) => {
  let f: ApiFixture;
  let ops: Operation[];
  const failures: string[] = [];
  let sent = 0;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    ops = operationsOf(await fetchDocument(f.url));
  });
  after(() => f?.close());
  beforeEach(() => {
    failures.length = 0;
  });

  async function exchange(method: string, path: string, role: Role | undefined, headers: Record<string, string> = {}, body?: string | Buffer): Promise<void> {
    const h: Record<string, string> = { ...headers };
    if (role) h.authorization = `Bearer ${f.tokens[role]}`;
    const r = await raw(f.url, method, path, h, body);
    if (!r) return;
    sent++;
    const p = problems(r, method);
    if (p) failures.push(`${method} ${path.slice(0, 200)} as ${role ?? "anonymous"}: ${p}`);
  }

  it("parameters: wrong types, huge and negative numbers, unicode, unknown and repeated names, bad cursors", async function () {
    this.timeout(240_000);
    for (const op of ops) {
      await fc.assert(
        fc.asyncProperty(pathArb(op), queryArb(op), fc.constantFrom(...ROLES), fc.option(value), async (path, query, role, lastEventId) => {
          const headers: Record<string, string> = {};
          if (lastEventId !== null && /^[\x20-\x7e]*$/.test(lastEventId)) headers["last-event-id"] = lastEventId;
          const body = op.hasBody ? "{}" : undefined;
          if (body) headers["content-type"] = "application/json";
          await exchange(op.method.toUpperCase(), path + query, role, headers, body);
        }),
        { numRuns: 150, seed: 42 },
      );
    }
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  it("cursors of the right shape with fields of the wrong type or range: 400 on every list, on both databases", async function () {
    this.timeout(240_000);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const wrong = fc.oneof(
      fc.constantFrom<unknown>("abc", "1", "", 1.5, -1, 2 ** 53, 1e20, -1e20, 9.3e18, Number.MAX_VALUE, null, true, [], {}, "9".repeat(40), "x".repeat(40)),
      fc.double({ noNaN: true }),
      fc.string({ maxLength: 12 }),
      fc.bigInt({ min: 1n << 53n, max: 1n << 70n }).map((b) => Number(b)),
    );
    const sorts = ["dpd", "-dpd", "amountOverdue", "-amountOverdue", "nextDue", "-nextDue"];
    const lists: { path: (c: string) => string; cursor: fc.Arbitrary<unknown> }[] = [
      {
        // The sort's key: a 40-digit string for the amount sorts, a number for the others.
        path: (c) => `/v1/loans?sort=${c.split("|")[0]}&cursor=${c.split("|")[1]}`,
        cursor: fc
          .tuple(fc.constantFrom(...sorts), fc.oneof(wrong, fc.integer({ min: 0, max: 1_000 })), fc.oneof(wrong, fc.integer({ min: 1, max: 10 })))
          .filter(([s, k, id]) => !(Number.isSafeInteger(id) && (id as number) > 0 && (s.includes("amount") ? typeof k === "string" && /^\d{40}$/.test(k) : Number.isSafeInteger(k) && (k as number) >= 0)))
          .map(([s, k, id]) => `${s}|${b64({ s, k, id })}`),
      },
      {
        path: (c) => `/v1/loans/1/timeline?cursor=${c}`,
        cursor: fc
          .tuple(fc.oneof(wrong, fc.integer({ min: 0, max: 100 })), fc.oneof(wrong, fc.integer({ min: 0, max: 100 })))
          .filter(([b, l]) => !(Number.isSafeInteger(b) && (b as number) >= 0 && Number.isSafeInteger(l) && (l as number) >= 0 && (l as number) < 2 ** 31))
          .map(([b, l]) => b64({ b, l })),
      },
      {
        // Notices: the sort, the trigger time and a notice id (ntc_ + 32 hex).
        path: (c) => `/v1/notices?sort=${c.split("|")[0]}&cursor=${c.split("|")[1]}`,
        cursor: fc
          .tuple(fc.constantFrom("-triggerAt", "triggerAt"), fc.oneof(wrong, fc.integer({ min: 0, max: 1_000 })), fc.oneof(wrong, fc.constant(`ntc_${"0".repeat(32)}`)))
          .filter(([, k, id]) => !(Number.isSafeInteger(k) && (k as number) >= 0 && typeof id === "string" && /^ntc_[0-9a-f]{32}$/.test(id)))
          .map(([s, k, id]) => `${s}|${b64({ s, k, id })}`),
      },
      {
        path: (c) => `/v1/queue?cursor=${c}`,
        cursor: fc
          .tuple(fc.oneof(wrong, fc.integer({ min: 0, max: 100 })), fc.oneof(wrong, fc.constant("0".repeat(40))), fc.oneof(wrong, fc.integer({ min: 1, max: 10 })), fc.oneof(wrong, fc.integer({ min: 0, max: 10 })))
          .filter(([k, a, id, r]) => !(Number.isSafeInteger(k) && (k as number) >= 0 && typeof a === "string" && /^\d{40}$/.test(a) && Number.isSafeInteger(id) && (id as number) > 0 && Number.isSafeInteger(r) && (r as number) >= 0))
          .map(([k, a, id, r]) => b64({ k, a, id, r })),
      },
    ];
    for (const list of lists) {
      await fc.assert(
        fc.asyncProperty(list.cursor as fc.Arbitrary<string>, fc.constantFrom<Role>("auditor", "collector"), async (c, role) => {
          const path = list.path(c);
          const h: Record<string, string> = { authorization: `Bearer ${f.tokens[role]}` };
          const r = await raw(f.url, "GET", path, h);
          if (!r) return;
          sent++;
          if (r.status !== 400) failures.push(`GET ${path} as ${role}: expected 400, got ${r.status} ${r.body.slice(0, 200)}`);
          else if (problems(r, "GET")) failures.push(`GET ${path}: ${problems(r, "GET")}`);
        }),
        { numRuns: 120, seed: 11 },
      );
    }
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  it("bodies: bad JSON, wrong types, missing fields, wrong content types, oversized", async function () {
    this.timeout(240_000);
    const withBody = ops.filter((o) => o.hasBody);
    const targets = withBody.length ? withBody : ops.filter((o) => o.method === "post");
    for (const op of targets) {
      // Path parameters that pass validation, so the body is what is judged.
      const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === "lender" ? f.addresses.lender : "1"));
      const method = op.method.toUpperCase();
      await fc.assert(
        fc.asyncProperty(
          jsonBody,
          fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/octet-stream", "multipart/form-data; boundary=x"),
          fc.constantFrom(...ROLES),
          async (body, contentType, role) => {
            await exchange(method, path, role, { "content-type": contentType }, body);
          },
        ),
        { numRuns: 150, seed: 7 },
      );
      for (const size of [64 * 1024 + 1, 1024 * 1024, 5 * 1024 * 1024]) {
        const big = JSON.stringify({ message: "x".repeat(size) });
        await exchange(method, path, "collector", { "content-type": "application/json" }, big);
        await exchange(method, path, "collector", { "content-type": "application/octet-stream" }, Buffer.alloc(size, 1));
      }
    }
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  it("notice plans: plan-shaped bodies with any values, as any caller; the lender's valid ones stored, never a 5xx", async function () {
    this.timeout(240_000);
    const field = fc.oneof(value, fc.integer({ min: -5, max: 400 }), fc.boolean(), fc.constant(null), fc.array(value, { maxLength: 3 }));
    const ruleArb = fc.record(
      {
        trigger: fc.oneof(fc.constantFrom("ReminderTriggered", "PenaltyAssessed", "ClassificationChanged", "LoanDefaulted", "DpdReached", "Request", "PromiseBroken"), value),
        template: fc.oneof(fc.constantFrom("reminder.overdue", "demand.letter", "default.notice", "custom.request"), value),
        channels: fc.oneof(fc.uniqueArray(fc.constantFrom("sms", "email", "letter"), { maxLength: 3 }), fc.array(value, { maxLength: 4 }), field),
        when: fc.oneof(fc.record({ minDpd: fc.integer({ min: -1, max: 40_000 }), stage: fc.array(fc.integer({ min: -1, max: 300 }), { maxLength: 3 }) }, { requiredKeys: [] }), field),
        dpd: fc.oneof(fc.integer({ min: 0, max: 40_000 }), field),
        webhook: fc.oneof(fc.boolean(), field),
        kind: fc.oneof(fc.constantFrom("reminder", "notice"), field),
      },
      { requiredKeys: ["trigger", "template", "channels"] },
    );
    // Valid plans (so that authorization and storage answer too), and plans with any values.
    const validRule = fc.record(
      {
        trigger: fc.constantFrom("LoanDefaulted", "PromiseBroken", "Request", "ReminderTriggered"),
        template: fc.constant("custom.request"),
        channels: fc.uniqueArray(fc.constantFrom("sms", "email", "letter"), { minLength: 1, maxLength: 3 }),
        when: fc.record({ minDpd: fc.integer({ min: 0, max: 100 }) }),
        kind: fc.constantFrom("reminder", "notice"),
      },
      { requiredKeys: ["trigger", "template", "channels"] },
    );
    const validPlan = fc.record({ version: fc.constant(1), default: fc.record({ rules: fc.array(validRule, { maxLength: 4 }) }) });
    const anyPlan = fc.record(
      {
        version: fc.oneof(fc.constant(1), field),
        webhook: fc.oneof(fc.record({ url: fc.oneof(fc.webUrl(), value) }), field),
        caps: fc.oneof(fc.record({ perDay: fc.integer({ min: -1, max: 60 }), per7Days: fc.integer({ min: -1, max: 300 }) }, { requiredKeys: [] }), field),
        default: fc.oneof(fc.record({ rules: fc.array(ruleArb, { maxLength: 4 }) }), field),
        segments: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom("hardship", "vip", "__proto__", "Bad Name"), value), fc.record({ rules: fc.array(ruleArb, { maxLength: 2 }) }), { maxKeys: 3 }), field),
      },
      { requiredKeys: ["version", "default"] },
    );
    const planArb = fc.oneof(validPlan, anyPlan);
    const lender = fc.constantFrom(f.addresses.lender, f.addresses.otherLender, f.addresses.lender.toLowerCase());
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(planArb, lender, fc.constantFrom(...ROLES), async (plan, who, role) => {
        const h: Record<string, string> = { "content-type": "application/json" };
        if (role) h.authorization = `Bearer ${f.tokens[role]}`;
        const r = await raw(f.url, "PUT", `/v1/notice-plans/${who}`, h, JSON.stringify(plan));
        if (!r) return;
        sent++;
        statuses.add(r.status);
        const p = problems(r, "PUT");
        if (p) failures.push(`PUT /v1/notice-plans/${who} as ${role ?? "anonymous"}: ${p}`);
      }),
      { numRuns: 300, seed: 19 },
    );
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
    // The arbitraries reach validation failures, refusals and stored plans alike.
    expect([...statuses].sort()).to.include.members([400, 401, 403]);
    expect([...statuses].some((s) => s === 200 || s === 201), `statuses seen: ${[...statuses].join(", ")}`).to.equal(true);
  });

  it("evidence uploads: any loan id, role, size and framing (Content-Length or chunked, empty, over the limit); no temporary file left", async function () {
    this.timeout(240_000);
    const loanId = fc.oneof(fc.integer({ min: 1, max: 8 }).map(String), fc.integer({ min: 1, max: 8 }).map(String), value);
    const size = fc.oneof(fc.integer({ min: 0, max: 2_048 }), fc.constantFrom(0, 64 * 1024, 64 * 1024 + 1, 300_000));
    await fc.assert(
      fc.asyncProperty(loanId, fc.constantFrom(...ROLES), size, fc.boolean(), fc.integer(), async (id, role, n, chunked, seed) => {
        const body = Buffer.alloc(n, seed & 0xff);
        const headers: Record<string, string> = { "content-type": "application/octet-stream" };
        if (!chunked) headers["content-length"] = String(n);
        await exchange("POST", `/v1/evidence?loanId=${enc(id)}`, role, headers, body);
      }),
      { numRuns: 200, seed: 11 },
    );
    const dir = f.services.options.evidenceDir;
    const left = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(".")) : [];
    expect(left, "temporary files left behind").to.deep.equal([]);
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  it("batch leaves: well-formed leaves with any values, and the anchored batch with one field changed, are refused without a 5xx", async function () {
    this.timeout(240_000);
    const wire = (a: Action) => ({ ...a, loanId: String(a.loanId), seq: String(a.seq), occurredAt: String(a.occurredAt) });
    const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
    const leaf = fc.record({
      loanId: fc.oneof(fc.integer({ min: 1, max: 9 }).map(String), fc.constantFrom("999999999999999")),
      seq: fc.oneof(fc.integer({ min: 0, max: 5 }).map(String), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String)),
      collector: fc.oneof(fc.constantFrom(...Object.values(f.addresses)), hex(20)),
      channel: fc.integer({ min: 0, max: 7 }),
      kind: fc.integer({ min: 0, max: 6 }),
      outcome: fc.integer({ min: 0, max: 65_535 }),
      occurredAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String),
      evidenceHash: hex(32),
    });
    const changed = fc.tuple(fc.integer({ min: 0, max: f.batch.actions.length - 1 }), fc.constantFrom("seq", "outcome", "occurredAt", "loanId"), fc.integer({ min: 1, max: 3 })).map(([i, field, d]) => {
      const actions = f.batch.actions.map(wire);
      actions[i] = { ...actions[i], [field]: String(BigInt(actions[i][field as "seq"]) + BigInt(d)) };
      return actions;
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(leaf, { minLength: 1, maxLength: 5 }), changed), fc.constantFrom(f.batch.batchId, f.batch.batchId + 1, 0), fc.constantFrom(...ROLES), async (actions, batchId, role) => {
        await exchange("POST", "/v1/batches", role, { "content-type": "application/json" }, JSON.stringify({ batchId, actions }));
      }),
      { numRuns: 150, seed: 13 },
    );
    // Random leaves anchored on chain (so count and root match): the leaf checks answer, never a 5xx.
    const w = f.wallet("collector");
    const anchored: { batchId: number; actions: unknown[] }[] = [];
    for (const leaves of fc.sample(fc.array(leaf, { minLength: 1, maxLength: 4 }), { numRuns: 6, seed: 17 })) {
      const actions: Action[] = leaves.map((l) => ({ ...l, loanId: BigInt(l.loanId), seq: BigInt(l.seq), occurredAt: BigInt(l.occurredAt), collector: l.collector as `0x${string}`, evidenceHash: l.evidenceHash as `0x${string}` }));
      const log = f.deployment.collectionLog.address;
      const hash = await w.writeContract({ address: log, abi: collectionLogAbi, functionName: "anchorBatch", args: [buildBatchTree(actions).root, actions.length, "ipfs://fuzz"], account: w.account!, chain: w.chain });
      await f.client.waitForTransactionReceipt({ hash });
      anchored.push({ batchId: Number(await f.client.readContract({ address: log, abi: collectionLogAbi, functionName: "batchCount" })), actions: leaves });
    }
    await f.reindex();
    const named: string[] = [];
    for (const b of anchored) {
      for (const role of ROLES) {
        const h: Record<string, string> = { "content-type": "application/json" };
        if (role) h.authorization = `Bearer ${f.tokens[role]}`;
        const r = await raw(f.url, "POST", "/v1/batches", h, JSON.stringify(b));
        if (!r) continue;
        sent++;
        const p = problems(r, "POST");
        if (p) failures.push(`POST /v1/batches (anchored random leaves) as ${role ?? "anonymous"}: ${p}`);
        if (r.status === 422) named.push(...(JSON.parse(r.body) as { errors?: { path: string }[] }).errors!.map((e) => e.path));
      }
    }
    // The leaf checks themselves answered (the leaves rebuild their anchored roots): the first leaf is named.
    expect(named.length).to.be.greaterThan(0);
    expect(new Set(named)).to.deep.equal(new Set(["body.actions.0"]));
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  it("contact records and notice requests on a valid path: any field values, as any caller, never a 5xx", async function () {
    this.timeout(240_000);
    const ref = (await f.db.selectFrom("loans").select("borrower_ref").where("loan_id", "=", 1).executeTakeFirstOrThrow()).borrower_ref;
    const field = fc.oneof(value, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(value, { maxLength: 2 }));
    const contact = fc.record(
      {
        email: fc.oneof(field, fc.emailAddress()),
        phone: fc.oneof(field, fc.stringMatching(/^\+[1-9]\d{1,14}$/)),
        postalAddress: fc.oneof(field, fc.string({ maxLength: 600 })),
        language: fc.oneof(field, fc.constantFrom("en", "zh-CN", "zh-Hant-TW", "x-private", "i-klingon")),
        timeZone: fc.oneof(field, fc.constantFrom("UTC", "Asia/Shanghai", "Etc/GMT+8", "America/Argentina/Buenos_Aires")),
        jurisdiction: fc.oneof(field, fc.constantFrom("CN", "us-ca", "EU", "ZZ", "CN-GD-1")),
        consentSms: field,
        consentEmail: field,
        consentLetter: field,
        consentWebhook: field,
      },
      { requiredKeys: [] },
    );
    const lenders = fc.constantFrom(f.addresses.lender, f.addresses.otherLender, f.addresses.lender.toLowerCase());
    await fc.assert(
      fc.asyncProperty(contact, lenders, fc.constantFrom(...ROLES), fc.constantFrom("PUT", "GET", "DELETE"), async (body, lender, role, method) => {
        const path = `/v1/borrowers/${ref}/contact?lender=${lender}`;
        await exchange(method, path, role, { "content-type": "application/json" }, method === "PUT" ? JSON.stringify(body) : undefined);
      }),
      { numRuns: 200, seed: 19 },
    );
    const request = fc.record({ template: fc.oneof(field, fc.constantFrom("reminder.due", "demand.letter", "custom.request")), channel: fc.oneof(field, fc.constantFrom("sms", "email", "letter", "webhook")), language: fc.oneof(field, fc.constantFrom("en", "zh-CN")) }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(request, fc.constantFrom(1, 7), fc.constantFrom(...ROLES), fc.option(fc.oneof(value, fc.constant("key-1"))), async (body, loanId, role, key) => {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (key !== null && /^[\x20-\x7e]*$/.test(key)) headers["idempotency-key"] = key;
        await exchange("POST", `/v1/loans/${loanId}/notices`, role, headers, JSON.stringify(body));
      }),
      { numRuns: 150, seed: 23 },
    );
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  it("SMS receipts: any body, content type and signature header, signed or not, never a 5xx", async function () {
    this.timeout(120_000);
    const bodies = fc.oneof(jsonBody, fc.string({ maxLength: 300 }), fc.record({ MessageSid: fc.string({ maxLength: 80 }), MessageStatus: fc.string({ maxLength: 20 }), ClientReference: fc.string({ maxLength: 40 }), ErrorCode: fc.string({ maxLength: 40 }) }).map((o) => JSON.stringify(o)));
    await fc.assert(
      fc.asyncProperty(
        bodies,
        fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream"),
        fc.oneof(fc.constant("valid"), fc.string({ maxLength: 200 }), fc.integer().map((t) => `t=${t},v1=${"ab".repeat(32)}`)),
        async (body, contentType, signature) => {
          const sig = signature === "valid" ? signReceipt(body, TEST_SMS_RECEIPT_SECRET, Math.floor(Date.now() / 1000)) : signature;
          await exchange("POST", "/v1/notify/sms-receipts", undefined, { "content-type": contentType, [RECEIPT_SIGNATURE_HEADER]: sig }, body);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  it("methods and paths: odd methods, long and odd paths, unknown routes", async function () {
    this.timeout(240_000);
    const methods = ["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO", "GET", "POST"];
    const paths = fc.oneof(
      fc.constantFrom(...ops.map((o) => o.path.replace(/\{[^}]+\}/g, "1"))),
      fc.constantFrom(...ops.map((o) => o.path)).map((p) => `${p.replace(/\{[^}]+\}/g, "1")}/${"a".repeat(4_000)}`),
      fc.constant(`/v1/loans/${"9".repeat(8_000)}`),
      fc.constant(`/v1/${"a/".repeat(2_000)}`),
      fc.constantFrom("/v1/loans/%E0%A4%A", "/v1/loans/%", "/v1/loans/%00", "/v1//loans", "/v1/loans/1/../../openapi.json", "/v1/loans/1%2F2", "/V1/LOANS", "/v1/loans/1;x=y", "//", "/v1/loans/\u00e9"),
      fc.webPath().map((p) => `/v1${p}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), paths, fc.constantFrom(...ROLES), async (method, path, role) => {
        await exchange(method, path, role);
      }),
      { numRuns: 600, seed: 3 },
    );
    expect(failures, failures.slice(0, 20).join("\n")).to.deep.equal([]);
  });

  after(function () {
    console.log(`      fuzz [${dialect}]: ${sent} requests`);
  });
});
