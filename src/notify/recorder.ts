// The delivery log's writer for marks made one send at a time.
import type { Store, WriteOp } from '../state/store.js';

export interface Recorder {
  /** Resolves once `op` is written; ops that arrive while a write is in flight go out together. */
  write(op: WriteOp): Promise<void>;
}

/**
 * Group commit over the store: the first op waits only for the current turn of the event loop (so
 * sends that completed together share a write), and whatever queues while a write is in flight
 * is the next write. One pipeline at a time keeps the writes in order.
 */
export function createRecorder(store: Store): Recorder {
  let queue: { op: WriteOp; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let writing = false;
  const flush = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await store.write(batch.map((p) => p.op));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    writing = false;
  };
  return {
    write: (op) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ op, resolve, reject });
        if (writing) return;
        writing = true;
        setImmediate(() => void flush());
      }),
  };
}
