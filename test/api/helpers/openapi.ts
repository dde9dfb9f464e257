/**
 * The API's own OpenAPI document as the list of what to test: every operation (so a new route is
 * covered by the authorization, fuzz and schema tests without editing them), concrete paths for
 * its parameters, and a validator of response bodies against the declared response schemas.
 */
import Ajv2020 from "ajv/dist/2020";
import type { ValidateFunction } from "ajv";

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components?: Record<string, unknown>;
}

export interface OperationObject {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: "path" | "query" | "header"; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI path, e.g. /v1/loans/{loanId}. */
  path: string;
  /** "GET /v1/loans/{loanId}". */
  key: string;
  auth: boolean;
  pathParams: string[];
  queryParams: string[];
  hasBody: boolean;
  op: OperationObject;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

export async function fetchDocument(baseUrl: string): Promise<OpenApiDoc> {
  const res = await fetch(`${baseUrl}/openapi.json`);
  if (res.status !== 200) throw new Error(`/openapi.json: ${res.status}`);
  return (await res.json()) as OpenApiDoc;
}

/** Every operation of the document, in path order. */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      out.push({
        method,
        path,
        key: `${method.toUpperCase()} ${path}`,
        auth: (op.security ?? []).length > 0,
        pathParams: (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
        queryParams: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
        hasBody: op.requestBody !== undefined,
        op,
      });
    }
  }
  return out;
}

/** Fills `{name}` path parameters from `values` (a missing value is an error: the test must say what to use). */
export function concretePath(path: string, values: Record<string, string | number>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no test value for path parameter {${name}} of ${path}: add one`);
    return encodeURIComponent(String(v));
  });
}

/**
 * Validates response bodies against the document: the schema declared for (operation, status,
 * content type). Components are resolved through the whole document added as one schema.
 */
export function responseValidator(doc: OpenApiDoc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: "openapi.json", components: doc.components ?? {}, paths: doc.paths } as object);
  const cache = new Map<string, ValidateFunction>();
  const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

  return {
    /**
     * Checks one observed response: its status is declared for the operation, and a JSON body
     * matches the declared schema. Returns a list of problems (empty when it conforms).
     */
    check(op: Operation, status: number, contentType: string | null, body: unknown): string[] {
      const declared = op.op.responses[String(status)];
      if (!declared) return [`${op.key}: status ${status} is not declared (declared: ${Object.keys(op.op.responses).join(", ")})`];
      const type = (contentType ?? "").split(";")[0].trim();
      if (!declared.content) return [];
      if (!declared.content[type]) return [`${op.key} ${status}: content type ${type || "(none)"} is not declared (${Object.keys(declared.content).join(", ")})`];
      if (!/json/.test(type)) return [];
      const ref = `openapi.json#/${pointer("paths", op.path, op.method, "responses", String(status), "content", type, "schema")}`;
      let validate = cache.get(ref);
      if (!validate) cache.set(ref, (validate = ajv.compile({ $ref: ref })));
      if (validate(body)) return [];
      return (validate.errors ?? []).slice(0, 5).map((e) => `${op.key} ${status}: body${e.instancePath} ${e.message} (${JSON.stringify(e.params)})`);
    },
  };
}
