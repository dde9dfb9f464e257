/** The CSV reader lives with the other pure file readers (src/files/csv.ts), shared with the console. */
export { parseCsv, type CsvRecord } from "../../files/csv";
