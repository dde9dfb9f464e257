/**
 * Errors of the configuration layer. {@link ConfigError} is its base: a setting that does not
 * validate. Fatal: the same settings fail again until someone changes them.
 */
import { DuetrailError, type DuetrailErrorOptions } from "../errors";

/** A setting that does not validate; the message names its flag and variable. Fatal. */
export class ConfigError extends DuetrailError {
  override name = "ConfigError";
  constructor(shortMessage: string, options: Omit<DuetrailErrorOptions, "retryable"> = {}) {
    super(shortMessage, { ...options, retryable: false });
  }
}
