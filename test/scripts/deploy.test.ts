/**
 * `npm run deploy -- --network <name>` for a network that exists only in the environment
 * (RPC URL and deployer key, validated with zod in scripts/lib/networks.ts), against a real
 * `hardhat node`, writing a temporary deployments folder.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { loadDeployment } from "../../src/chain/deployments";
import { NetworkEnvError, networkFromEnv, requestedNetwork } from "../../scripts/lib/networks";
import { REPO_ROOT, startNode, tempDeploymentsDir, type TestNode } from "../support/chain";
import { devAccount, publicClient } from "../cli/helpers/operator";
import { collectionLogAbi, loanReliefAbi } from "../../src/chain/abis";
import { encodeJurisdiction } from "../../src/domain";

const run = promisify(execFile);

/** Runs `npm run deploy -- --network <name>` with exactly `env` for the settings (no inherited RPC_URL or keys). */
async function deploy(name: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (/RPC_URL|DEPLOYER_KEY|^HARDHAT_NETWORK$|^DEPLOY_CHAIN_ID$/.test(k)) delete base[k];
  try {
    const { stdout, stderr } = await run("npm", ["run", "deploy", "--", "--network", name], { cwd: REPO_ROOT, env: { ...base, ...env }, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("scripts/deploy.ts on a network from the environment", function () {
  this.timeout(300_000);

  describe("networkFromEnv (zod)", function () {
    const key = devAccount(5).key;

    it("takes <NAME>_RPC_URL over DEPLOY_RPC_URL over RPC_URL, <NAME>_DEPLOYER_KEY over DEPLOYER_KEY", function () {
      expect(networkFromEnv("base-sepolia", { RPC_URL: "http://a", DEPLOY_RPC_URL: "https://b", BASE_SEPOLIA_RPC_URL: "https://c", DEPLOYER_KEY: key })).to.deep.equal({ url: "https://c", accounts: [key] });
      expect(networkFromEnv("x", { RPC_URL: "http://a", DEPLOY_RPC_URL: "https://b", DEPLOYER_KEY: key })).to.deep.equal({ url: "https://b", accounts: [key] });
      expect(networkFromEnv("x", { RPC_URL: "http://a", DEPLOYER_KEY: key, X_DEPLOYER_KEY: devAccount(6).key, DEPLOY_CHAIN_ID: "11155111" })).to.deep.equal({ url: "http://a", accounts: [devAccount(6).key], chainId: 11155111 });
    });

    it("names what is missing or malformed, never the key's value", function () {
      expect(() => networkFromEnv("sepolia", {})).to.throw(NetworkEnvError, 'network "sepolia" is not configured: set SEPOLIA_RPC_URL or DEPLOY_RPC_URL (or RPC_URL)');
      expect(() => networkFromEnv("sepolia", { DEPLOY_RPC_URL: "https://x" })).to.throw(NetworkEnvError, "set SEPOLIA_DEPLOYER_KEY or DEPLOYER_KEY");
      let message = "";
      try {
        networkFromEnv("sepolia", { DEPLOY_RPC_URL: "ws://x", DEPLOYER_KEY: "0xsecret" });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.equal('network "sepolia" is not configured: DEPLOY_RPC_URL must be an http(s) URL; DEPLOYER_KEY must be a 0x-prefixed 32-byte hex private key');
      expect(message).not.to.contain("secret");
    });

    it("reads the network from --network / --network= / HARDHAT_NETWORK", function () {
      expect(requestedNetwork(["node", "hardhat", "run", "s.ts", "--network", "sepolia"], {})).to.equal("sepolia");
      expect(requestedNetwork(["node", "hardhat", "--network=holesky", "run"], {})).to.equal("holesky");
      expect(requestedNetwork(["node", "hardhat", "test"], { HARDHAT_NETWORK: "devnet" })).to.equal("devnet");
      expect(requestedNetwork(["node", "hardhat", "test"], {})).to.equal(undefined);
    });
  });

  describe("end to end", function () {
    let node: TestNode | undefined;
    let dir = "";

    before(async function () {
      node = await startNode();
      dir = tempDeploymentsDir();
    });

    after(async function () {
      await node?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deploys to any --network name with DEPLOY_RPC_URL and DEPLOYER_KEY, and writes <dir>/<name>/", async function () {
      const deployer = devAccount(5);
      const r = await deploy("devnet", { DEPLOY_RPC_URL: node!.url, DEPLOYER_KEY: deployer.key, DEPLOYMENTS_DIR: dir, CN_ONE_YEAR_LPR_BPS: "300" });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/LoanLedger\s+0x[0-9a-fA-F]{40}/).and.to.contain(`wrote ${dir}/devnet/`);
      // The built-in jurisdiction caps, China's as four times the given LPR; the US and GB have none of their own.
      expect(r.stdout.split("\n").filter((l) => l.startsWith("jurisdiction"))).to.deep.equal(["jurisdiction   CN     cap 1200 bps", "jurisdiction   US-NY  cap 1600 bps"]);
      const d = loadDeployment("devnet", dir);
      const caps = await publicClient(node!.url).readContract({ address: d.loanLedger.address, abi: loanReliefAbi, functionName: "jurisdictionCapOf", args: [encodeJurisdiction("CN-GD")] });
      expect(caps).to.deep.equal([1_200, 0]);
      expect(r.stdout).to.contain("contact rules  CN US US-NY GB");
      const [rules, set] = await publicClient(node!.url).readContract({ address: d.collectionLog.address, abi: collectionLogAbi, functionName: "jurisdictionRulesOf", args: [encodeJurisdiction("US-CA")] });
      expect([set, rules]).to.deep.equal([true, { contactStartHour: 8, contactEndHour: 21, maxConnectedCallsPerDay: 0, maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7 }]);
      expect(d.chainId).to.equal(31337);
      expect(d.testToken).to.equal(undefined); // the demo stablecoin is for local networks only
      const record = JSON.parse(fs.readFileSync(path.join(dir, "devnet", "LoanLedger.json"), "utf8"));
      expect(record.receipt.from.toLowerCase()).to.equal(deployer.address.toLowerCase());
      expect(r.stdout + r.stderr).not.to.contain(deployer.key.slice(2));
    });

    it("fails with a clear message, writing nothing, when the key is missing or the URL malformed", async function () {
      const noKey = await deploy("staging", { DEPLOY_RPC_URL: node!.url, DEPLOYMENTS_DIR: dir });
      expect(noKey.code).to.not.equal(0);
      expect(noKey.stderr).to.contain('network "staging" is not configured: set STAGING_DEPLOYER_KEY or DEPLOYER_KEY');
      const badUrl = await deploy("staging", { DEPLOY_RPC_URL: "127.0.0.1:8545", DEPLOYER_KEY: devAccount(5).key, DEPLOYMENTS_DIR: dir });
      expect(badUrl.code).to.not.equal(0);
      expect(badUrl.stderr).to.contain("DEPLOY_RPC_URL must be an http(s) URL");
      expect(fs.existsSync(path.join(dir, "staging"))).to.equal(false);
    });
  });
});
