/** The local chain helpers, for the tests (their home is scripts/lib/local-node.ts, shared with bench/). */
export * from "../../scripts/lib/local-node";
