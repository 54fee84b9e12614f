import path from 'node:path';
import { AppError } from '../errors.js';
import type { Channel, ChannelName, Delivery, SendResult } from './channel.js';
import { type OutboxFile, openOutboxFile } from './outbox-file.js';

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
 * The local stand-in for an unconfigured provider: appends deliveries to `<dir>/<name>.jsonl`, one
 * process per file (a second live one is refused with OUTBOX_IN_USE). Like SES or Twilio it has no
 * idempotency key: a delivery sent twice is two lines. Sends queue their line, and whatever queued
 * while a write was in flight goes out in the next write, so lines never interleave and bursts cost
 * one syscall.
 */
export function createOutboxChannel(name: ChannelName, dir: string): Channel {
  const file = path.join(dir, `${name}.jsonl`);
  let opened: Promise<OutboxFile> | undefined;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  const getFile = () => {
    if (opened === undefined) {
      opened = openOutboxFile(file);
      // A failed open is not cached: the next batch tries again.
      opened.catch(() => {
        opened = undefined;
      });
    }
    return opened;
  };

  const flush = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await (await getFile()).append(batch.map((p) => p.line));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
        // A failed write may have left part of a line at the end of the file. The next batch opens
        // the file anew, which drops that part, so no line is ever appended onto a torn one.
        await release().catch(() => undefined);
      }
    }
    flushing = undefined;
  };

  const release = async () => {
    const f = opened;
    opened = undefined;
    if (f) await (await f).close();
  };

  return {
    name,
    async open() {
      await getFile().catch((err: unknown) => {
        throw asAppError(file, err);
      });
    },
    send(d: Delivery): Promise<SendResult> {
      if (d.channel !== name) {
        return Promise.reject(
          new AppError('INTERNAL', `a ${d.channel} delivery was sent to the ${name} outbox`),
        );
      }
      const line = toLine(d);
      return new Promise<void>((resolve, reject) => {
        queue.push({ line, resolve, reject });
        flushing ??= flush();
      }).then(
        () => ({}),
        (err: unknown) => {
          throw asAppError(file, err);
        },
      );
    },
    async close() {
      await flushing;
      await release();
    },
  };
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** An I/O failure is worth retrying; an AppError (the file held by another process) says for itself. */
function asAppError(file: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = `outbox ${file}: ${(err as Error).message ?? String(err)}`;
  return new AppError('PROVIDER_UNAVAILABLE', message, { retryable: true, cause: err });
}
