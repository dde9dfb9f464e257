/**
 * Reads shared by concurrent callers that each need a value read after their call. A call while no
 * read runs starts one; calls while one runs join the next, which starts when the running one
 * settles and reads for all of them at once. Every caller is answered by a read that began at or
 * after its call, and at most one read runs and one waits however many callers ask.
 */
const ignore = () => undefined;

/** `read(keys)` for the keys of the callers it answers; each caller gets the whole answer. */
export function freshBatch<K, R>(read: (keys: K[]) => Promise<R>): (key: K) => Promise<R> {
  /** The running read, settled either way (its callers hold the read itself). */
  let running: Promise<void> | undefined;
  /** The read that starts when `running` settles, for every caller since `running` began. */
  let queued: { keys: K[]; answer: Promise<R> } | undefined;
  const start = (keys: K[]): Promise<R> => {
    const p = read(keys);
    const settled = p.then(ignore, ignore);
    running = settled;
    void settled.then(() => {
      if (running === settled) running = undefined;
    });
    return p;
  };
  return (key) => {
    if (!running) return start([key]);
    if (queued) {
      queued.keys.push(key);
      return queued.answer;
    }
    const keys = [key];
    const answer = running.then(() => {
      queued = undefined;
      return start(keys);
    });
    queued = { keys, answer };
    return answer;
  };
}

/** {@link freshBatch} of a read without keys. */
export function freshRead<T>(read: () => Promise<T>): () => Promise<T> {
  const batch = freshBatch<undefined, T>(() => read());
  return () => batch(undefined);
}
