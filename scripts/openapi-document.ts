/**
 * Writes the API's OpenAPI document (src/api/document.ts) to the file given, for the console's
 * generated client, and beside it action-input.json: the ActionInput schema alone, which the
 * console's action form reads at run time (small, instead of the whole document in its bundle).
 */
import fs from "node:fs";
import path from "node:path";
import { apiDocument } from "../src/api/document";

const out = process.argv[2];
if (!out) throw new Error("usage: openapi-document <out.json>");
fs.mkdirSync(path.dirname(out), { recursive: true });
const doc = apiDocument();
fs.writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");
const schemas = (doc.components?.schemas ?? {}) as Record<string, unknown>;
fs.writeFileSync(path.join(path.dirname(out), "action-input.json"), JSON.stringify(schemas.ActionInput, null, 2) + "\n");
