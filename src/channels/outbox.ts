import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Channel, ChannelName, Delivery, SendResult } from './channel.js';

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One JSON line per delivery: who, what was rendered, when. */
function toLine(d: Delivery): string {
  const base = {
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
 */
export function createOutboxChannel(name: ChannelName, dir: string): Channel {
  const file = path.join(dir, `${name}.jsonl`);
  let handle: Promise<FileHandle> | undefined;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  const getHandle = () => {
    if (handle === undefined) {
      handle = mkdir(dir, { recursive: true }).then(() => open(file, 'a'));
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
        const fh = await getHandle();
        await fh.appendFile(batch.map((p) => p.line).join(''));
        for (const p of batch) p.resolve();
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
        queue.push({ line, resolve, reject });
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
