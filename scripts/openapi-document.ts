/** Writes the API's OpenAPI document (src/api/document.ts) to the file given, for the console's generated client. */
import fs from "node:fs";
import path from "node:path";
import { apiDocument } from "../src/api/document";

const out = process.argv[2];
if (!out) throw new Error("usage: openapi-document <out.json>");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(apiDocument(), null, 2) + "\n");
