/**
 * `duetrail actions sign`: signs the EIP-712 RecordAction typed data the API hands out
 * (POST /v1/loans/{id}/actions/typed-data) with a collector's key from the environment, for a
 * collector without a browser wallet. Prints `{ signer, signature, deadline, nonce }`, the fields
 * the relayed POST /v1/loans/{id}/actions takes besides the action. Only Duetrail's CollectionLog
 * typed data is signed, and only for the key's own address.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { getAddress, isAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { COLLECTION_LOG_EIP712, recordActionTypes } from "../../chain/typed-data";
import { action, UsageError } from "../lib/errors";
import { readPrivateKey } from "../lib/signer";

const Uint = z.union([z.string().regex(/^\d{1,78}$/), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).transform((v) => BigInt(v));
const TypedData = z.object({
  domain: z.object({ name: z.literal(COLLECTION_LOG_EIP712.name), version: z.literal(COLLECTION_LOG_EIP712.version), chainId: z.number().int().positive(), verifyingContract: z.string().refine(isAddress, "must be an address") }),
  primaryType: z.literal("RecordAction"),
  message: z.object({
    loanId: Uint,
    channel: z.number().int().min(0).max(255),
    kind: z.number().int().min(0).max(255),
    outcome: z.number().int().min(0).max(65_535),
    occurredAt: Uint,
    evidenceHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    collector: z.string().refine(isAddress, "must be an address"),
    nonce: Uint,
    deadline: Uint,
  }),
});

/** The typed data in `text`: the API's whole answer (`{ typedData, ... }`) or the typed data alone. */
function parseTypedData(text: string, source: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`error: ${source} is not JSON`);
  }
  const inner = json && typeof json === "object" && "typedData" in json ? (json as { typedData: unknown }).typedData : json;
  const parsed = TypedData.safeParse(inner);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new UsageError(`error: ${source}: typedData.${i.path.join(".")}: ${i.message} (expected the answer of POST /v1/loans/{id}/actions/typed-data)`);
  }
  return parsed.data;
}

export function registerActionsCommand(program: Command): void {
  const actions = program.command("actions").description("collector tools for logging actions through the API");
  const sign = actions
    .command("sign")
    .description("sign the RecordAction typed data from POST /v1/loans/{id}/actions/typed-data with a collector's key (from the environment)")
    .requiredOption("--file <path>", "the typed data (the API's JSON answer); - for standard input")
    .option("--key-env <NAME>", "environment variable holding the collector's private key (default COLLECTOR_KEY)");
  sign.action(
    action(sign, async (opts: { file: string; keyEnv?: string }) => {
      const source = opts.file === "-" ? "standard input" : opts.file;
      let text: string;
      try {
        text = fs.readFileSync(opts.file === "-" ? 0 : opts.file, "utf8");
      } catch (err) {
        throw new UsageError(`error: cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const td = parseTypedData(text, source);
      const account = privateKeyToAccount(readPrivateKey({ keyEnv: opts.keyEnv }, "COLLECTOR_KEY"));
      if (getAddress(td.message.collector) !== account.address) {
        throw new UsageError(`error: the typed data is for collector ${getAddress(td.message.collector)}, and the key is ${account.address}'s`);
      }
      const m = td.message;
      const signature = await account.signTypedData({
        domain: { ...td.domain, verifyingContract: getAddress(td.domain.verifyingContract) },
        types: recordActionTypes,
        primaryType: "RecordAction",
        message: { ...m, evidenceHash: m.evidenceHash as Hex, collector: getAddress(m.collector) },
      });
      process.stdout.write(JSON.stringify({ signer: account.address, signature, deadline: m.deadline.toString(), nonce: m.nonce.toString() }) + "\n");
    }),
  );
}
