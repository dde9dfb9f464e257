import type { Command } from "commander";
import { getAddress, isAddress, type Address } from "viem";
import { readClaims, revokeSubject, revokeToken, serviceToken, verifyToken } from "../../api/auth/tokens";
import { loadSettings, SETTINGS } from "../../config";
import { openDatabase } from "../../db/connect";
import { action, UsageError } from "../lib/errors";
import { DAY_SECONDS } from "../../domain";

const fail = (m: string): never => {
  throw new UsageError(`error: ${m}`);
};

/**
 * `token`: a bearer token for a service account, valid at most SERVICE_TOKEN_MAX_DAYS (365 by
 * default), and `token revoke`, which the API checks on every request.
 */
export function registerTokenCommand(program: Command): void {
  const token = program
    .command("token")
    .description("issue an API token for a service account (what it may see still follows its on-chain roles); `token revoke` revokes one")
    .option("--address <address>", "the account the token acts as")
    .option("--ttl-days <days>", "lifetime in days (at most SERVICE_TOKEN_MAX_DAYS, default 365)", "365")
    .addHelpText("after", "\nThe token is signed with API_TOKEN_SECRET (environment only, or API_TOKEN_SECRET_FILE), the same as the server's.");
  token.action(
    action(token, async (opts: { address?: string; ttlDays: string }) => {
      if (!opts.address) return fail("--address is required: the account the token acts as");
      if (!isAddress(opts.address)) return fail("--address must be a 0x-prefixed 20-byte hex address");
      const config = loadSettings(["serviceTokenMaxDays", "apiTokenSecret"]);
      const days = Number(opts.ttlDays);
      const max = config.serviceTokenMaxDays;
      if (!Number.isInteger(days) || days < 1 || days > max) return fail(`--ttl-days must be an integer from 1 to ${max} (SERVICE_TOKEN_MAX_DAYS)`);
      const secret = config.apiTokenSecret;
      if (!secret) return fail("API_TOKEN_SECRET (or API_TOKEN_SECRET_FILE) must be set in the environment, the same as the server's");
      const issued = serviceToken(getAddress(opts.address), secret, days * DAY_SECONDS);
      process.stdout.write(JSON.stringify({ address: getAddress(opts.address), id: issued.id, token: issued.token, expiresAt: issued.expiresAt }) + "\n");
    })
  );

  const revoke = token
    .command("revoke")
    .description("revoke a token (by id or the token itself), or every token of an account issued up to now; the API refuses them from the next request")
    .option("--id <id>", "the token's id (`id` in the output of `token`)")
    .option("--token <token>", "the token itself (checked against API_TOKEN_SECRET)")
    .option("--address <address>", "revoke every token of this account issued up to now (sessions included)")
    .option(`${SETTINGS.databaseUrl.flag} <path|url>`, `the API's database (env ${SETTINGS.databaseUrl.env})`);
  revoke.action(
    action(revoke, async (opts: { id?: string; token?: string; address?: string; db?: string }) => {
      const given = [opts.id, opts.token, opts.address].filter((v) => v !== undefined).length;
      if (given !== 1) return fail("give exactly one of --id, --token or --address");
      if (opts.id !== undefined && !/^[0-9a-f]{32}$/.test(opts.id)) return fail("--id must be 32 lowercase hex digits (the `id` printed by `token`)");
      if (opts.address !== undefined && !isAddress(opts.address)) return fail("--address must be a 0x-prefixed 20-byte hex address");
      const config = loadSettings(["databaseUrl", "apiTokenSecret", "serviceTokenMaxDays"], { databaseUrl: opts.db });
      let target: { jti: string; subject: Address; expiresAt: number } | undefined;
      if (opts.token !== undefined) {
        if (!config.apiTokenSecret) return fail("--token is checked against API_TOKEN_SECRET: set it (or use --id)");
        // Any token this secret signed, expired or not (time 0 passes every expiry).
        const claims = verifyToken(opts.token, config.apiTokenSecret, 0);
        if (!claims) return fail(`--token is not a token signed with this API_TOKEN_SECRET${readClaims(opts.token) ? "" : " (not even a token)"}`);
        target = { jti: claims.jti, subject: claims.sub, expiresAt: claims.exp };
      }
      const database = await openDatabase(config.databaseUrl);
      const now = Math.floor(Date.now() / 1000);
      try {
        if (opts.address !== undefined) {
          await revokeSubject(database.db, getAddress(opts.address), now);
          process.stdout.write(JSON.stringify({ revoked: "address", address: getAddress(opts.address), issuedUpTo: now }) + "\n");
        } else {
          // By id alone the subject and expiry are unknown: the row is kept for the longest lifetime a token may have.
          target ??= { jti: opts.id!, subject: "0x0000000000000000000000000000000000000000", expiresAt: now + config.serviceTokenMaxDays * DAY_SECONDS };
          await revokeToken(database.db, target, now);
          process.stdout.write(JSON.stringify({ revoked: "token", id: target.jti, at: now }) + "\n");
        }
      } finally {
        await database.close();
      }
    })
  );
}
