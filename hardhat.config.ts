import { subtask, task } from "hardhat/config";
import { TASK_COMPILE, TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import path from "node:path";
import fc from "fast-check";
import { HardhatPluginError } from "hardhat/plugins";
import { LOCAL_NETWORKS, NetworkEnvError, networkFromEnv, requestedNetwork } from "./scripts/lib/networks";

/**
 * The compiler is the npm `solc` package (solc-js), pinned in package.json to
 * the same version as below. Hardhat would otherwise download a native build,
 * which this project never relies on (see DEVELOPERS.md).
 */
const SOLC_VERSION = "0.8.30";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  const installed: string = require("solc/package.json").version;
  if (args.solcVersion === installed) {
    return {
      compilerPath: path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js"),
      isSolcJs: true,
      version: args.solcVersion,
      longVersion: require("solc").version(),
    };
  }
  return runSuper();
});

// After each compile, regenerate the `as const` ABI module viem uses (src/chain/abis.ts), then
// transpile src/ to dist/, which the long-running CLI commands run from (scripts/build-js.js).
task(TASK_COMPILE).setAction(async (args, hre, runSuper) => {
  const result = await runSuper(args);
  const { writeAbis } = await import("./scripts/lib/write-abis");
  await writeAbis(hre);
  require("./scripts/build-js").buildJs();
  return result;
});

/**
 * Any other --network comes from the environment (RPC URL and deployer key, validated; see
 * scripts/lib/networks.ts and the README's configuration reference). Nothing secret is committed.
 */
function envNetworks(): NonNullable<HardhatUserConfig["networks"]> {
  const name = requestedNetwork();
  if (name === undefined || LOCAL_NETWORKS.includes(name)) return {};
  try {
    return { [name]: networkFromEnv(name) };
  } catch (err) {
    if (err instanceof NetworkEnvError) throw new HardhatPluginError("duetrail", err.message);
    throw err;
  }
}

function solcSettings(runs: number) {
  return {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs },
    viaIR: true,
    // Hardhat adds the outputs it needs; the storage layout lets a test check that LoanLedger and
    // its relief module (which runs on LoanLedger's storage) lay their state out identically.
    outputSelection: { "*": { "*": ["storageLayout"] } },
  };
}

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: solcSettings(200) }],
    overrides: {
      // Collectors call CollectionLog far more often than it is deployed: optimise for calls.
      "contracts/CollectionLog.sol": { version: SOLC_VERSION, settings: solcSettings(10_000) },
    },
  },
  networks: {
    hardhat: {
      hardfork: "cancun",
      allowUnlimitedContractSize: false,
      // Hardhat's development accounts, three more than its default 20: the demo's notifier is #20,
      // its collection agency #21 and the agency's collector #22.
      accounts: { mnemonic: "test test test test test test test test test test test junk", count: 23 },
    },
    localhost: {
      url: process.env.RPC_URL || "http://127.0.0.1:8545",
    },
    ...envNetworks(),
  },
  mocha: {
    timeout: 120_000,
    reporter: path.join(__dirname, "scripts", "test-reporter.js"),
    // Property tests draw a fixed sequence (a run is reproducible and CI deterministic); FC_SEED=<n>
    // explores another, and a failure prints the seed and path that reproduce it.
    rootHooks: {
      beforeAll() {
        fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261128) });
      },
    },
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "1",
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
  },
};

export default config;
