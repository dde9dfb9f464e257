/**
 * The action form's choices and limits, read from the API's own OpenAPI document (its ActionInput schema,
 * written to api/action-input.json by npm run console:types), so
 * the form offers exactly what the API accepts: the channel and kind names, the outcome's range and
 * the required fields. The API still validates; its field errors show next to the fields.
 */
import actionInput from "../api/action-input.json";

interface JsonSchema {
  type?: string;
  enum?: string[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  description?: string;
}

const input = actionInput as unknown as { properties: Record<string, JsonSchema>; required: string[] };

const namesOf = (s: JsonSchema): string[] => (s.anyOf ?? [s]).find((a) => a.enum)?.enum ?? [];

export const ACTION_FIELDS = {
  channels: namesOf(input.properties.channel!),
  kinds: namesOf(input.properties.kind!),
  outcome: { min: input.properties.outcome!.minimum ?? 0, max: input.properties.outcome!.maximum ?? 0 },
  required: input.required,
};
