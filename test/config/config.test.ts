/**
 * Settings: flags over environment over defaults; secrets from the environment only (or a file
 * named there), closed defaults.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { ConfigError, loadConfig, SECRET_SETTINGS, SETTINGS } from "../../src/config";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
const SECRET = "s".repeat(40);

describe("config", () => {
  it("defaults are closed: no cross-origin access, no proxy trusted, no sign-in binding, year-long service tokens at most", () => {
    const c = loadConfig({}, {});
    expect(c.corsOrigins).to.deep.equal([]);
    expect(c.trustProxy).to.equal(false);
    expect(c.siweDomain).to.equal(undefined);
    expect(c.siweUri).to.equal(undefined);
    expect(c.serviceTokenMaxDays).to.equal(365);
    expect(c.metricsToken).to.equal(undefined);
  });

  it("DB_POOL_SIZE (--db-pool-size): 10 by default, a flag over the environment, and at least 1", () => {
    expect(loadConfig({}, {}).dbPoolSize).to.equal(10);
    expect(loadConfig({}, { DB_POOL_SIZE: "4" }).dbPoolSize).to.equal(4);
    expect(loadConfig({ dbPoolSize: "32" }, { DB_POOL_SIZE: "4" }).dbPoolSize).to.equal(32);
    expect(() => loadConfig({}, { DB_POOL_SIZE: "0" })).to.throw(ConfigError, /--db-pool-size \(DB_POOL_SIZE\)/);
    expect(() => loadConfig({ dbPoolSize: "ten" }, {})).to.throw(ConfigError, /--db-pool-size \(DB_POOL_SIZE\)/);
  });

  it("secrets have no flag, and a flag value given for one is refused", () => {
    for (const key of SECRET_SETTINGS) expect(SETTINGS[key].flag, key).to.equal(undefined);
    expect(() => loadConfig({ apiTokenSecret: SECRET }, {})).to.throw(ConfigError, /API_TOKEN_SECRET is a secret/);
    expect(() => loadConfig({ relayerKey: `0x${"11".repeat(32)}` }, {})).to.throw(ConfigError, /RELAYER_KEY is a secret/);
  });

  it("reads a secret from the environment, or from the file <NAME>_FILE names, never both", () => {
    expect(loadConfig({}, { API_TOKEN_SECRET: SECRET }).apiTokenSecret).to.equal(SECRET);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-secret-")), "secret");
    fs.writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    expect(loadConfig({}, { API_TOKEN_SECRET_FILE: file }).apiTokenSecret).to.equal(SECRET);
    expect(() => loadConfig({}, { API_TOKEN_SECRET_FILE: file, API_TOKEN_SECRET: SECRET })).to.throw(ConfigError, /both set/);
    expect(() => loadConfig({}, { RELAYER_KEY_FILE: `${file}.missing` })).to.throw(ConfigError, /RELAYER_KEY_FILE: cannot read .*ENOENT/);
    expect(() => loadConfig({}, { METRICS_TOKEN: "short" })).to.throw(ConfigError, /^METRICS_TOKEN must be at least 16/);
  });

  it("parses TRUST_PROXY as express does, and refuses anything else", () => {
    expect(loadConfig({}, { TRUST_PROXY: "true" }).trustProxy).to.equal(true);
    expect(loadConfig({}, { TRUST_PROXY: "2" }).trustProxy).to.equal(2);
    expect(loadConfig({}, { TRUST_PROXY: "loopback, 10.0.0.0/8" }).trustProxy).to.equal("loopback,10.0.0.0/8");
    expect(() => loadConfig({}, { TRUST_PROXY: "everyone" })).to.throw(ConfigError, /--trust-proxy \(TRUST_PROXY\)/);
  });

  it("takes the sign-in binding as a host and an origin", () => {
    const c = loadConfig({}, { SIWE_DOMAIN: "duetrail.example.com", SIWE_URI: "https://duetrail.example.com" });
    expect([c.siweDomain, c.siweUri]).to.deep.equal(["duetrail.example.com", "https://duetrail.example.com"]);
    expect(() => loadConfig({}, { SIWE_DOMAIN: "https://duetrail.example.com" })).to.throw(ConfigError, /--siwe-domain \(SIWE_DOMAIN\)/);
    expect(() => loadConfig({}, { SIWE_URI: "duetrail.example.com" })).to.throw(ConfigError, /--siwe-uri \(SIWE_URI\)/);
  });

  it("the CLI refuses secrets on the command line, naming the variable to use", async function () {
    this.timeout(60_000);
    await run(process.execPath, [path.join(ROOT, "scripts", "build-js.js"), "--quiet"], { cwd: ROOT });
    for (const [flag, env] of [["--token-secret", "API_TOKEN_SECRET"], ["--relayer-key", "RELAYER_KEY"]]) {
      const err = await run(process.execPath, [path.join(ROOT, "dist", "cli", "index.js"), "serve", flag, "x".repeat(64)], { cwd: ROOT }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err, flag).to.not.equal(undefined);
      expect(err!.code).to.equal(2);
      expect(err!.stderr).to.contain(`${flag} is not accepted`).and.contain(env);
    }
  });
});
