/**
 * freshRead: concurrent callers share reads, and none is answered by a read that began before its
 * call (the response cache's generation check relies on it: a stored answer must be checked against
 * the generation after the handler's last read).
 */
import { expect } from "chai";
import { freshRead } from "../../src/api/services/fresh-read";

/** A read whose answers the test releases one by one; each answer is the source's version when the read began. */
function controlledSource() {
  let version = 0;
  const pending: { release: () => void; fail: (e: Error) => void }[] = [];
  let started = 0;
  const read = () =>
    new Promise<number>((resolve, reject) => {
      const seen = version;
      started++;
      pending.push({ release: () => resolve(seen), fail: reject });
    });
  const settle = async (how: "release" | "fail" = "release") => {
    const p = pending.shift();
    if (!p) throw new Error("no read is pending");
    if (how === "release") p.release();
    else p.fail(new Error("read failed"));
    // Let the answer and the queued read's start run.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    read,
    settle,
    bump: () => version++,
    get started() {
      return started;
    },
  };
}

describe("freshRead", () => {
  it("answers calls one after another with a read each", async () => {
    const s = controlledSource();
    const get = freshRead(s.read);
    const a = get();
    await s.settle();
    s.bump();
    const b = get();
    await s.settle();
    expect([await a, await b, s.started]).to.deep.equal([0, 1, 2]);
  });

  it("answers calls made while a read runs with one read that begins after it, never with the running one", async () => {
    const s = controlledSource();
    const get = freshRead(s.read);
    const first = get(); // read 1 begins at version 0
    s.bump(); // the data moves while read 1 runs
    const during = [get(), get(), get()]; // must not take read 1's answer
    expect(s.started).to.equal(1);
    await s.settle(); // read 1 answers; read 2 begins at version 1
    expect(s.started).to.equal(2);
    await s.settle();
    expect([await first, ...(await Promise.all(during))]).to.deep.equal([0, 1, 1, 1]);
    expect(s.started).to.equal(2);
  });

  it("queues a new read for calls made while the queued one runs", async () => {
    const s = controlledSource();
    const get = freshRead(s.read);
    const first = get();
    const second = get(); // queued behind read 1
    await s.settle(); // read 2 (second's) begins at version 0
    s.bump();
    const third = get(); // read 2 runs and began before this call: a read 3
    await s.settle();
    await s.settle();
    expect([await first, await second, await third, s.started]).to.deep.equal([0, 0, 1, 3]);
  });

  it("passes a failed read's error to its callers only; the queued callers get a read of their own", async () => {
    const s = controlledSource();
    const get = freshRead(s.read);
    const first = get();
    const queued = get();
    await s.settle("fail");
    await s.settle();
    const outcome = await first.then(
      () => "answered",
      (e: Error) => e.message,
    );
    expect([outcome, await queued, s.started]).to.deep.equal(["read failed", 0, 2]);
    const later = get();
    await s.settle();
    expect(await later).to.equal(0);
  });
});
