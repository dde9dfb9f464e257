/** The field schemas live with the pure file readers (src/files/fields.ts), shared with the console. */
export * from "../../files/fields";
