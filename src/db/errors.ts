/**
 * Errors of the database layer. {@link DbError} is the base; a bad schema name or a failed
 * migration is fatal (the same start fails again until someone fixes it).
 */
import { DuetrailError } from "../errors";

/** Base class of every error thrown by `src/db`. */
export class DbError extends DuetrailError {
  override name = "DbError";
}

/** The `?schema=` of a PostgreSQL URL is not a plain lower-case identifier. Fatal. */
export class InvalidSchemaNameError extends DbError {
  override name = "InvalidSchemaNameError";
  constructor(readonly schema: string) {
    super(`invalid schema name "${schema}"`);
  }
}

/** The `?prepare=` of a PostgreSQL URL is neither "on" nor "off". Fatal. */
export class InvalidPrepareOptionError extends DbError {
  override name = "InvalidPrepareOptionError";
  constructor(readonly value: string) {
    super(`the database URL's prepare parameter must be "on" or "off", not ${JSON.stringify(value)}`);
  }
}

/** A loans row names a policy the database does not hold (a partial or foreign database). Fatal. */
export class PolicyNotIndexedError extends DbError {
  override name = "PolicyNotIndexedError";
  constructor(
    readonly loanId: number,
    readonly policyId: number,
  ) {
    super(`loan ${loanId}: policy ${policyId} not indexed`);
  }
}

/** A migration failed; the database was closed. `migration` names it when Kysely says which. Fatal. */
export class MigrationError extends DbError {
  override name = "MigrationError";
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`database migration failed${migration ? ` (${migration})` : ""}: ${String((cause as Error)?.message ?? cause)}`, { cause });
  }
}

/** A migration found the schema other than the earlier migrations leave it (an edited or foreign database). Fatal. */
export class MigrationStepError extends DbError {
  override name = "MigrationStepError";
  constructor(
    readonly migration: string,
    readonly problem: string,
  ) {
    super(`migration ${migration}: ${problem}`);
  }
}

/** `deferred_indexes` holds a row that is not a deferrable index's own CREATE INDEX statement (src/db/deferred-indexes.ts). Fatal. */
export class DeferredIndexError extends DbError {
  override name = "DeferredIndexError";
  constructor(
    readonly index: string,
    readonly definition: string,
  ) {
    super(`deferred_indexes holds "${index}" with a definition that is not a deferrable index's CREATE INDEX: ${definition.slice(0, 200)}`);
  }
}

/** A prepared query (src/db/prepared.ts) is built so that a value is not one of its parameters: a programming error. */
export class PreparedQueryError extends DbError {
  override name = "PreparedQueryError";
  constructor(
    readonly problem: string,
    readonly sql: string,
  ) {
    super(`prepared query: ${problem}: ${sql}`);
  }
}
