/** The seeded generator, for the tests (its home is scripts/lib/prng.ts, shared with bench/). */
export * from "../../scripts/lib/prng";
