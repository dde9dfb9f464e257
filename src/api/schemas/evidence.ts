import { z } from "../openapi";

export const StoredEvidence = z
  .object({
    sha256: z.string().regex(/^0x[0-9a-f]{64}$/).openapi({ description: "0x SHA-256 of the bytes: the evidenceHash to log" }),
    size: z.number().int(),
  })
  .openapi("StoredEvidence");

export const Sha256Param = z.object({
  sha256: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be a SHA-256 digest: 64 hex digits, 0x-prefixed or not")
    .transform((s) => s.replace(/^0x/, "").toLowerCase())
    .openapi({ param: { name: "sha256", in: "path" }, example: "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }),
});

export const EvidenceUploadQuery = z.object({
  loanId: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, "must be a positive integer loan id")
    .transform(Number)
    .openapi({ param: { name: "loanId", in: "query", required: true }, description: "The loan the artifact is evidence for", example: "55" }),
});
