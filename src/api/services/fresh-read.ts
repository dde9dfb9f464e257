/**
 * A read shared by concurrent callers that each need a value read after their call: a call while
 * no read runs starts one; calls while one runs share the next, which starts when the running one
 * settles. Every caller is answered by a read that began at or after its call, and at most two
 * reads are in flight or queued however many callers ask.
 */
const ignore = () => undefined;

export function freshRead<T>(read: () => Promise<T>): () => Promise<T> {
  /** The running read, settled either way (its callers hold the read itself). */
  let running: Promise<void> | undefined;
  /** The read that starts when `running` settles, shared by every caller since `running` began. */
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const p = read();
    const settled = p.then(ignore, ignore);
    running = settled;
    void settled.then(() => {
      if (running === settled) running = undefined;
    });
    return p;
  };
  return () => {
    if (!running) return start();
    queued ??= running.then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
}
