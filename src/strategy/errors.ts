/**
 * Errors of the collection strategy (src/strategy). {@link StrategyError} is the base; messages
 * name the loan, the feature or the file field at fault.
 */
import { DuetrailError } from "../errors";

/** Base class of every error thrown by `src/strategy`. */
export class StrategyError extends DuetrailError {
  override name = "StrategyError";
}

/** Indexed data the strategy cannot read consistently (a version without installments, an unknown policy). */
export class StrategyDataError extends StrategyError {
  override name = "StrategyDataError";
}

/** A training or backtest request that cannot be met: a window without history, no outcome to learn from. */
export class TrainingError extends StrategyError {
  override name = "TrainingError";
}

/** A model or strategy file that does not validate. */
export class ModelFileError extends StrategyError {
  override name = "ModelFileError";
}

/** A strategy file that does not validate, or names a model that is not stored. */
export class StrategyFileError extends StrategyError {
  override name = "StrategyFileError";
}
