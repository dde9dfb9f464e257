import type { Command } from "commander";
import { isAddress } from "viem";
import { serviceToken } from "../../api/auth/tokens";

/** `token`: a long-lived bearer token for a service account, signed with API_TOKEN_SECRET. */
export function registerTokenCommand(program: Command): void {
  program
    .command("token")
    .description("issue a long-lived API token for a service account (what it may see still follows its on-chain roles)")
    .requiredOption("--address <address>", "the account the token acts as")
    .option("--ttl-days <days>", "lifetime in days", "365")
    .action((opts: { address: string; ttlDays: string }) => {
      const secret = process.env.API_TOKEN_SECRET;
      const fail = (m: string) => {
        process.stderr.write(`error: ${m}\n`);
        process.exit(2);
      };
      if (!isAddress(opts.address)) return fail("--address must be a 0x-prefixed 20-byte hex address");
      const days = Number(opts.ttlDays);
      if (!Number.isInteger(days) || days < 1 || days > 3650) return fail("--ttl-days must be an integer from 1 to 3650");
      if (!secret || secret.length < 32) return fail("API_TOKEN_SECRET must be set (at least 32 characters), the same as the server's");
      const { token, expiresAt } = serviceToken(opts.address, secret, days * 86_400);
      process.stdout.write(JSON.stringify({ address: opts.address, token, expiresAt }) + "\n");
    });
}
