import { PostgresAdapter, sql, type Kysely } from "kysely";

/**
 * `raw_logs.topics` and `.data` hold the log's bytes instead of their 0x hex text (topics as a
 * JSON array): the topics one after the other, 32 bytes each, and the data as it is. Half the
 * bytes to write and keep (bench:indexer, 216k events: PostgreSQL's raw_logs 189 -> 140 MB with
 * TOAST's compression, SQLite's 278 -> 155 MB), and no text to build or escape on the way in.
 * src/db/raw-logs.ts turns them back into hex for the readers.
 * - PostgreSQL: the columns become bytea.
 * - SQLite: the columns keep their declared type (changing it means copying the table) and hold
 *   BLOB values, which a TEXT column stores as they are.
 */
const HEX_OF_TOPICS = (col: string) =>
  // ["0xab..","0xcd.."] -> ab..cd.. ("0x" is never inside a hex digit string).
  `replace(replace(replace(replace(replace(${col}, '"', ''), '0x', ''), ',', ''), '[', ''), ']', '')`;

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql
      .raw(
        `alter table raw_logs
           alter column topics type bytea using decode(${HEX_OF_TOPICS("topics")}, 'hex'),
           alter column data type bytea using decode(substr(data, 3), 'hex')`,
      )
      .execute(db);
    return;
  }
  await sql.raw(`update raw_logs set topics = unhex(${HEX_OF_TOPICS("topics")}), data = unhex(substr(data, 3))`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // Back to hex: the topics 64 digits each, as a JSON array of 0x strings.
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql
      .raw(
        `alter table raw_logs add column topics_hex text, add column data_hex text;
         update raw_logs set
           topics_hex = (select coalesce(json_agg('0x' || substr(encode(topics, 'hex'), i * 64 + 1, 64) order by i), '[]')::text
                         from generate_series(0, length(topics) / 32 - 1) as i),
           data_hex = '0x' || encode(data, 'hex');
         alter table raw_logs drop column topics, drop column data;
         alter table raw_logs rename column topics_hex to topics;
         alter table raw_logs rename column data_hex to data`,
      )
      .execute(db);
    return;
  }
  await sql
    .raw(
      `update raw_logs set
         topics = (with recursive t(i) as (select 0 union all select i + 1 from t where i + 1 < length(topics) / 32)
                   select coalesce(json_group_array('0x' || lower(hex(substr(topics, i * 32 + 1, 32)))), '[]') from t where length(topics) > 0),
         data = '0x' || lower(hex(data))`,
    )
    .execute(db);
}
