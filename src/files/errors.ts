/**
 * The one error of the file readers: the text cannot be read as rows at all (wrong extension, not
 * JSON, no header, no rows). Problems inside rows are not thrown but collected, as `RowProblem`s.
 * `message` is the CLI's line (`error: ...`), kept identical since the CLI prints it as it is;
 * `reason` lets another client (the console) say it in its own words.
 */
import { DuetrailError } from "../errors";

/** Why a file could not be read as rows. */
export type FileFormatReason = "extension" | "json" | "shape" | "empty" | "no-rows";

/** The file cannot be read as rows: fatal (the same text fails the same way). */
export class FileFormatError extends DuetrailError {
  override name = "FileFormatError";

  constructor(
    readonly reason: FileFormatReason,
    message: string,
  ) {
    super(message);
  }
}
