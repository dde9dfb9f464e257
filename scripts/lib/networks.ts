/**
 * Networks beyond hardhat/localhost come from the environment, so that
 * `npm run deploy -- --network <name>` works for any name without editing the config and no RPC
 * URL or key is ever committed. For the network hardhat was started with (`--network <name>` or
 * HARDHAT_NETWORK), when it is not hardhat or localhost:
 *
 *   <NAME>_RPC_URL, else DEPLOY_RPC_URL, else RPC_URL      its JSON-RPC endpoint (http or https)
 *   <NAME>_DEPLOYER_KEY, else DEPLOYER_KEY                  the deployer's private key (0x + 64 hex)
 *   DEPLOY_CHAIN_ID (optional)                              Hardhat refuses to send if the node differs
 *
 * (<NAME> is the name upper-cased, other characters than letters and digits as `_`.) All are
 * validated with zod; a missing or malformed one is named in the error, the key's value never.
 */
import { z } from "zod";
import type { HttpNetworkUserConfig } from "hardhat/types";

/** Networks the config defines itself: never taken from the environment. */
export const LOCAL_NETWORKS: readonly string[] = ["hardhat", "localhost"];

/** A network setting from the environment that is missing or malformed. */
export class NetworkEnvError extends Error {
  override name = "NetworkEnvError";
}

/** The --network hardhat was started with (argv, or HARDHAT_NETWORK), if any. */
export function requestedNetwork(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--network") return argv[i + 1];
    if (argv[i]!.startsWith("--network=")) return argv[i]!.slice("--network=".length);
  }
  return env.HARDHAT_NETWORK || undefined;
}

const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
};

/**
 * The Hardhat network config for `name`, from the environment.
 * @throws NetworkEnvError naming the variables to set or fix.
 */
export function networkFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): HttpNetworkUserConfig {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new NetworkEnvError(`--network "${name}": use letters, digits, - and _ (it names deployments/<name>/)`);
  const prefix = name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  const urlVar = [`${prefix}_RPC_URL`, "DEPLOY_RPC_URL", "RPC_URL"].find((v) => env[v]);
  const keyVar = [`${prefix}_DEPLOYER_KEY`, "DEPLOYER_KEY"].find((v) => env[v]);
  const schema = z.object({
    url: z
      .string({ error: `set ${prefix}_RPC_URL or DEPLOY_RPC_URL (or RPC_URL) to the JSON-RPC URL of "${name}"` })
      .refine(isHttpUrl, `${urlVar} must be an http(s) URL`),
    key: z
      .string({ error: `set ${prefix}_DEPLOYER_KEY or DEPLOYER_KEY to the deployer's private key (never commit it)` })
      .regex(/^0x[0-9a-fA-F]{64}$/, `${keyVar} must be a 0x-prefixed 32-byte hex private key`),
    chainId: z.coerce.number({ error: "DEPLOY_CHAIN_ID must be a positive integer" }).int("DEPLOY_CHAIN_ID must be a positive integer").positive("DEPLOY_CHAIN_ID must be a positive integer").optional(),
  });
  const parsed = schema.safeParse({ url: urlVar && env[urlVar], key: keyVar && env[keyVar], chainId: env.DEPLOY_CHAIN_ID || undefined });
  if (!parsed.success) {
    throw new NetworkEnvError(`network "${name}" is not configured: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  const { url, key, chainId } = parsed.data;
  return { url, accounts: [key], ...(chainId !== undefined ? { chainId } : {}) };
}
