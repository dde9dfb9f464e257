/**
 * Logistic regression by iteratively reweighted least squares (Newton's method on the
 * log-likelihood): the fit credit scorecards use, exact to the solver's tolerance, with an
 * intercept and an optional small ridge term for separable or collinear data. Cross-checked
 * against statsmodels' Logit on a fixture (test/domain/logistic.test.ts).
 */
import { InvalidArgumentError } from "./errors";

export interface LogisticFit {
  intercept: number;
  coefficients: number[];
  iterations: number;
  /** Log-likelihood at the fit (without the ridge term). */
  logLikelihood: number;
}

export interface LogisticOptions {
  /** L2 penalty on the coefficients (not the intercept); 0 = plain maximum likelihood. */
  ridge?: number;
  maxIterations?: number;
  /** Stop when no parameter moves more than this. */
  tolerance?: number;
}

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Solves A x = b for symmetric positive definite A (Cholesky); A is n×n row-major. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (sum <= 0) throw new InvalidArgumentError("features", "the design matrix is singular (a feature is constant or a copy of another): drop it or set a ridge");
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}

/**
 * Fits P(y = 1 | x) = sigmoid(intercept + coefficients · x).
 * @param rows feature vectors, all of one length; @param ys 0/1 outcomes; @param weights optional per-row weights.
 * @throws InvalidArgumentError on empty or ragged input, or a singular design without a ridge.
 */
export function fitLogistic(rows: readonly (readonly number[])[], ys: readonly number[], options: LogisticOptions = {}, weights?: readonly number[]): LogisticFit {
  if (rows.length === 0 || rows.length !== ys.length) throw new InvalidArgumentError("rows", `need as many outcomes as rows (${rows.length} rows, ${ys.length} outcomes), and at least one`);
  const p = rows[0]!.length;
  const n = p + 1;
  const ridge = options.ridge ?? 0;
  const beta = new Float64Array(n);
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const h = new Float64Array(n * n);
    const g = new Float64Array(n);
    for (let r = 0; r < rows.length; r++) {
      const x = rows[r]!;
      if (x.length !== p) throw new InvalidArgumentError(`rows[${r}]`, `has ${x.length} values, expected ${p}`);
      let z = beta[0]!;
      for (let k = 0; k < p; k++) z += beta[k + 1]! * x[k]!;
      const mu = sigmoid(z);
      const w = (weights?.[r] ?? 1) * mu * (1 - mu);
      const resid = (weights?.[r] ?? 1) * (ys[r]! - mu);
      // Gradient and Hessian of the log-likelihood over [1, x].
      for (let i = 0; i < n; i++) {
        const xi = i === 0 ? 1 : x[i - 1]!;
        g[i] += resid * xi;
        for (let j = 0; j <= i; j++) h[i * n + j] += w * xi * (j === 0 ? 1 : x[j - 1]!);
      }
    }
    for (let i = 1; i < n; i++) {
      g[i] -= ridge * beta[i]!;
      h[i * n + i] += ridge;
    }
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) h[i * n + j] = h[j * n + i]!;
    const step = solveSpd(h, g, n);
    let moved = 0;
    for (let i = 0; i < n; i++) {
      beta[i] += step[i]!;
      moved = Math.max(moved, Math.abs(step[i]!));
    }
    if (moved < tolerance) {
      iterations += 1;
      break;
    }
  }
  let logLikelihood = 0;
  for (let r = 0; r < rows.length; r++) {
    let z = beta[0]!;
    for (let k = 0; k < p; k++) z += beta[k + 1]! * rows[r]![k]!;
    const mu = Math.min(Math.max(sigmoid(z), 1e-300), 1 - 1e-16);
    logLikelihood += (weights?.[r] ?? 1) * (ys[r]! ? Math.log(mu) : Math.log(1 - mu));
  }
  return { intercept: beta[0]!, coefficients: Array.from(beta.slice(1)), iterations, logLikelihood };
}
