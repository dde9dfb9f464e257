/**
 * Column types shared by every table (src/db/schema.ts, src/db/api-tables.ts): one schema for
 * SQLite and PostgreSQL.
 */
/** Integers that fit 2^53 (block numbers, log indexes, timestamps, loan ids, days): `bigint` columns read as JS numbers. */
export type Int = number;
/** 0 | 1 (SQLite has no boolean). */
export type Flag = number;
/** Money: a decimal string in minor units (exact in both databases). */
export type Amount = string;
/** JSON text. */
export type Json = string;
