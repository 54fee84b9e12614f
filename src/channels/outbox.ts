import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Channel, ChannelName, Delivery, SendResult } from './channel.js';
import { appendBatch, type FileView, type Pending } from './outbox-file.js';

export { gluedPieces, lineAlignedPieces } from './outbox-file.js';

/** One JSON line per delivery: who, what was rendered, when. */
function toLine(d: Delivery): string {
  const base = {
    idempotency_key: d.idempotencyKey,
    alert_id: d.alertId,
    account_id: d.accountId,
    channel: d.channel,
    kind: d.kind,
    severity: d.severity,
  };
  const at = new Date().toISOString();
  switch (d.channel) {
    case 'email':
      return JSON.stringify({ ...base, to: d.to, subject: d.subject, text: d.text, html: d.html, at });
    case 'sms':
      return JSON.stringify({ ...base, to: d.to, body: d.body, at });
    case 'push':
      return JSON.stringify({ ...base, to: d.subscription.endpoint, payload: d.payload, ttl_s: d.ttlS, at });
  }
}

/**
 * The local stand-in for an unconfigured provider: appends deliveries to `<dir>/<name>.jsonl`.
 * One writer per file: sends queue their line, and whatever queued while a write was in flight
 * goes out in the next single write, so lines never interleave and bursts cost one syscall.
 *
 * Like a provider that dedupes on the idempotency key, it writes each key once, across restarts and
 * across processes sharing the directory: a sender killed after the write but before the dispatcher
 * recorded `sent` is re-run when its claim lapses, and that re-run must not become a second delivery.
 */
export function createOutboxChannel(name: ChannelName, dir: string): Channel {
  const file = path.join(dir, `${name}.jsonl`);
  let handle: Promise<FileHandle> | undefined;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  const view: FileView = { written: new Set(), scanned: 0 };

  const getHandle = () => {
    if (handle === undefined) {
      // Lines carry addresses, phone numbers and signed links: readable by this user only.
      handle = mkdir(dir, { recursive: true, mode: 0o700 }).then(() => open(file, 'a+', 0o600));
      // A failed open is not cached: the next batch tries again.
      handle.catch(() => {
        handle = undefined;
      });
    }
    return handle;
  };

  const flush = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        const again = await appendBatch(view, await getHandle(), batch);
        for (const p of batch) {
          if (again.has(p.key)) queue.unshift(p);
          else p.resolve();
        }
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    flushing = undefined;
  };

  return {
    name,
    send(d: Delivery): Promise<SendResult> {
      if (d.channel !== name) {
        return Promise.reject(
          new AppError('INTERNAL', `a ${d.channel} delivery was sent to the ${name} outbox`),
        );
      }
      const line = `${toLine(d)}\n`;
      return new Promise<void>((resolve, reject) => {
        queue.push({ line, key: d.idempotencyKey, resolve, reject });
        flushing ??= flush();
      }).then(
        () => ({}),
        (err: unknown) => {
          const message = `outbox ${file}: ${(err as Error).message ?? String(err)}`;
          throw new AppError('PROVIDER_UNAVAILABLE', message, { retryable: true, cause: err });
        },
      );
    },
    async close() {
      await flushing;
      const h = handle;
      handle = undefined;
      if (h) await (await h).close();
    },
  };
}
