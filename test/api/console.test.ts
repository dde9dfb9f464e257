/**
 * The web console served by the API (src/api/console.ts): index.html for the console's own paths,
 * never cached, with a content security policy; hashed assets cached for a year; the API's paths
 * untouched (problem+json, never the page); the demo's token file only where configured. And the
 * OpenAPI document the console's client is generated from (src/api/document.ts) is the one the API
 * serves.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiDocument } from "../../src/api/document";
import { apiFixture, type ApiFixture } from "./fixture";

describe("web console served by the API", function () {
  this.timeout(120_000);
  let f: ApiFixture;
  let bare: ApiFixture;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-console-"));
  const tokens = path.join(dir, "demo-tokens.json");

  before(async function () {
    fs.mkdirSync(path.join(dir, "site", "assets"), { recursive: true });
    fs.writeFileSync(path.join(dir, "site", "index.html"), "<!doctype html><title>console</title>");
    fs.writeFileSync(path.join(dir, "site", "assets", "index-AbC123.js"), "console.log(1)");
    f = await apiFixture("sqlite", { options: { consoleDir: path.join(dir, "site"), demoTokensFile: tokens } });
    bare = await apiFixture("sqlite", { options: { consoleDir: path.join(dir, "missing") } });
  });
  after(async () => {
    await f?.close();
    await bare?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = (fx: ApiFixture, p: string, accept = "text/html") => fetch(`${fx.url}${p}`, { headers: { accept } });

  it("answers the console's paths with index.html: not cached, framed by nobody, scripts from itself only", async () => {
    for (const p of ["/", "/queue", "/loans/35"]) {
      const res = await get(f, p);
      expect(res.status, p).to.equal(200);
      expect(await res.text()).to.include("<title>console</title>");
      expect(res.headers.get("cache-control")).to.equal("no-cache");
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).to.include("script-src 'self'").and.include("frame-ancestors 'none'");
    }
  });

  it("serves hashed assets for a year, immutable; an unknown asset is a 404 problem", async () => {
    const res = await get(f, "/assets/index-AbC123.js", "*/*");
    expect(res.status).to.equal(200);
    expect(res.headers.get("cache-control")).to.include("max-age=31536000").and.include("immutable");
    const missing = await get(f, "/assets/nope.js", "*/*");
    expect(missing.status).to.equal(404);
    expect(missing.headers.get("content-type")).to.include("application/problem+json");
  });

  it("leaves the API's paths alone: JSON callers and /v1 get problem+json, never the page", async () => {
    for (const [p, accept] of [
      ["/v1/nope", "text/html"],
      ["/v1/loans", "text/html"],
      ["/queue", "application/json"],
    ] as const) {
      const res = await get(f, p, accept);
      expect(res.status, p).to.be.oneOf([401, 404]);
      expect(res.headers.get("content-type"), p).to.include("application/problem+json");
    }
    expect((await get(f, "/openapi.json", "application/json")).headers.get("content-type")).to.include("application/json");
  });

  it("hands out the demo tokens only where DEMO_TOKENS_FILE is set, and 404 until the file exists", async () => {
    expect((await get(f, "/demo/tokens", "application/json")).status).to.equal(404);
    fs.writeFileSync(tokens, JSON.stringify({ collector: "t1" }));
    const res = await get(f, "/demo/tokens", "application/json");
    expect(res.status).to.equal(200);
    expect(res.headers.get("cache-control")).to.equal("no-store");
    expect(await res.json()).to.deep.equal({ collector: "t1" });
    expect((await get(bare, "/demo/tokens", "application/json")).status).to.equal(404);
  });

  it("without a built console, / is a 404 problem", async () => {
    const res = await get(bare, "/");
    expect(res.status).to.equal(404);
    expect(res.headers.get("content-type")).to.include("application/problem+json");
  });

  it("the document the console's client is generated from is the one the API serves", async () => {
    const served = (await (await get(bare, "/openapi.json", "application/json")).json()) as { paths: Record<string, unknown> };
    expect(JSON.parse(JSON.stringify(apiDocument(bare.services.options)))).to.deep.equal(served);
    // The default configuration's document is what `npm run console:types` generates from.
    expect(apiDocument().paths).to.have.keys(Object.keys(served.paths));
  });
});
