/**
 * The logistic regression (src/domain/logistic.ts) against statsmodels' fit of the same data
 * (test/fixtures/strategy/logistic-reference.json, made by the script beside it), and its edges.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { fitLogistic, InvalidArgumentError, sigmoid } from "../../src/domain";

interface Reference {
  source: string;
  rows: number[][];
  ys: number[];
  intercept: number;
  coefficients: number[];
  logLikelihood: number;
}

const reference = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "strategy", "logistic-reference.json"), "utf8")) as Reference;

describe("domain/logistic", function () {
  it(`matches the reference fit (${reference.source})`, function () {
    const fit = fitLogistic(reference.rows, reference.ys);
    expect(fit.intercept).to.be.closeTo(reference.intercept, 1e-8);
    fit.coefficients.forEach((b, i) => expect(b, `coefficient ${i}`).to.be.closeTo(reference.coefficients[i]!, 1e-8));
    expect(fit.logLikelihood).to.be.closeTo(reference.logLikelihood, 1e-8);
    expect(fit.iterations).to.be.lessThan(20);
  });

  it("weights count a row as many times", function () {
    const rows = reference.rows.slice(0, 200);
    const ys = reference.ys.slice(0, 200);
    const twice = fitLogistic([...rows, ...rows.slice(0, 50)], [...ys, ...ys.slice(0, 50)]);
    const weighted = fitLogistic(rows, ys, {}, rows.map((_, i) => (i < 50 ? 2 : 1)));
    expect(weighted.intercept).to.be.closeTo(twice.intercept, 1e-9);
    weighted.coefficients.forEach((b, i) => expect(b).to.be.closeTo(twice.coefficients[i]!, 1e-9));
  });

  it("a ridge term keeps separable data finite; without it a copied column is refused", function () {
    const rows = [[-2], [-1], [1], [2]];
    const fit = fitLogistic(rows, [0, 0, 1, 1], { ridge: 1 });
    expect(Number.isFinite(fit.coefficients[0]!)).to.equal(true);
    expect(fit.coefficients[0]).to.be.greaterThan(0);
    expect(() => fitLogistic(reference.rows.map((r) => [r[0]!, r[0]!]), reference.ys)).to.throw(InvalidArgumentError, "singular");
    expect(() => fitLogistic([], [])).to.throw(InvalidArgumentError);
    expect(() => fitLogistic([[1], [2, 3]], [0, 1])).to.throw(InvalidArgumentError, "rows[1]");
  });

  it("sigmoid is stable at the extremes", function () {
    expect(sigmoid(800)).to.equal(1);
    expect(sigmoid(-800)).to.equal(0);
    expect(sigmoid(0)).to.equal(0.5);
  });
});
