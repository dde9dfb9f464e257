import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

extendZodWithOpenApi(z);

export { z };

/** RFC 9457 problem details, as every error response carries them. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "POST /v1/auth/verify, or a service token" });
  return registry;
}

/** The OpenAPI 3.1 document generated from the zod schemas the routes validate with. */
export function openApiDocument(registry: OpenAPIRegistry, serverUrl?: string) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Duetrail API",
      version: "1.0.0",
      description:
        "Collector, lender and auditor API over the indexed Duetrail ledger. Amounts are decimal strings in minor units; every time-dependent figure says its asOf block and timestamp (chain time). Errors are RFC 9457 problem+json.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
  });
}

/** A small self-contained docs page (no CDN): the operations of the OpenAPI document, linked to the JSON. */
export function docsHtml(doc: ReturnType<typeof openApiDocument>): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  const rows: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, { summary?: string; description?: string; parameters?: { name: string; in: string; required?: boolean; description?: string }[]; tags?: string[] }>)) {
      const params = (op.parameters ?? []).map((p) => `<code>${esc(p.in)}:${esc(p.name)}${p.required ? "*" : ""}</code>`).join(" ");
      rows.push(
        `<tr><td><b>${method.toUpperCase()}</b></td><td><code>${esc(path)}</code></td><td>${esc(op.summary ?? "")}<br><small>${esc(op.description ?? "")}</small></td><td>${params}</td></tr>`,
      );
    }
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>Duetrail API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}table{border-collapse:collapse;width:100%}td{border-top:1px solid #ddd;padding:.5rem;vertical-align:top}code{background:#f4f4f4;padding:0 .2rem}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table>${rows.join("\n")}</table></body></html>`;
}
