/**
 * Errors of the notices subsystem (src/notify). {@link NotifyError} is the base; `retryable` says
 * whether the dispatcher tries the notice again later (with backoff) or gives it up as failed.
 * Messages name the notice, the channel and the provider's answer, never contact data.
 */
import { DuetrailError, type DuetrailErrorOptions } from "../errors";

/** Base class of every error thrown by `src/notify`. */
export class NotifyError extends DuetrailError {
  override name = "NotifyError";
}

/** A provider refused or failed a message. `retryable` when a later try may succeed. */
export class ChannelSendError extends NotifyError {
  override name = "ChannelSendError";
  constructor(
    readonly channel: string,
    message: string,
    options: DuetrailErrorOptions = {},
  ) {
    super(`${channel}: ${message}`, options);
  }
}

/** A notice plan that does not validate, or names an unknown template. */
export class NoticePlanError extends NotifyError {
  override name = "NoticePlanError";
}

/** A template that is missing for a notice type, language or jurisdiction, or that does not render. */
export class TemplateError extends NotifyError {
  override name = "TemplateError";
}

/**
 * A delivery receipt (the SMS provider's status callback) that is not accepted: unsigned, signed
 * with another key, outside the timestamp tolerance, or not understood. The receipt endpoint
 * answers it with a client error; the provider's own retries cannot fix it.
 */
export class ReceiptError extends NotifyError {
  override name = "ReceiptError";
}
