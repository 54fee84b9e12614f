import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Channel, ChannelName, Delivery, SendResult } from './channel.js';

interface Pending {
  line: string;
  key?: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The key of a whole outbox line; undefined for a torn (unparseable) one. */
function wholeLineKey(line: string): string | undefined {
  if (!line.startsWith('{"idempotency_key":')) return undefined;
  try {
    const key = (JSON.parse(line) as { idempotency_key?: unknown }).idempotency_key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The most one write() carries. Each piece is whole lines and goes out in one write() on a file opened
 * for appending, so another process's lines land between pieces, never inside a line. (A single
 * `appendFile` of a large buffer is split by Node into 512 KiB writes at arbitrary bytes: two
 * replicas' lines were interleaved mid-line in the rebalance test at 10,000 sessions, and both lost.)
 */
const PIECE_BYTES = 64 * 1024;

function lineAlignedPieces(lines: string[], maxBytes: number): Buffer[] {
  const pieces: Buffer[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    const size = Buffer.byteLength(line);
    if (current.length > 0 && bytes + size > maxBytes) {
      pieces.push(Buffer.from(current.join('')));
      current = [];
      bytes = 0;
    }
    current.push(line);
    bytes += size;
  }
  if (current.length > 0) pieces.push(Buffer.from(current.join('')));
  return pieces;
}

/** One write() for the piece; a short write (disk full, a signal) finishes with more writes. */
async function writeWhole(fh: FileHandle, piece: Buffer): Promise<void> {
  let written = 0;
  while (written < piece.length) {
    const { bytesWritten } = await fh.write(piece, written, piece.length - written);
    written += bytesWritten;
  }
}

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
  /**
   * Idempotency keys of the lines in the file up to byte `scanned`. Other processes may append to the
   * same file (replicas sharing an outbox), so each write first reads whatever was appended since.
   */
  const written = new Set<string>();
  let scanned = 0;
  /** The file ends in a torn line (a writer killed mid-write): start the next write on a fresh line. */
  let torn = false;

  const catchUp = async (fh: FileHandle): Promise<number> => {
    const { size } = await fh.stat();
    if (size > scanned) {
      const buf = Buffer.alloc(size - scanned);
      const { bytesRead } = await fh.read(buf, 0, buf.length, scanned);
      const lines = buf.subarray(0, bytesRead).toString('utf8').split('\n');
      torn = lines.at(-1) !== '';
      // Only whole lines were delivered. A torn line (a writer killed mid-write) is the last piece,
      // or — once another writer appended after it — a line that does not parse; its key may have
      // made it to disk, but it stays unwritten so the re-run delivery writes the whole line.
      for (const line of lines.slice(0, -1)) {
        const key = wholeLineKey(line);
        if (key !== undefined) written.add(key);
      }
      scanned = scanned + bytesRead;
    }
    return scanned;
  };

  const getHandle = () => {
    if (handle === undefined) {
      handle = mkdir(dir, { recursive: true }).then(() => open(file, 'a+'));
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
        const before = await catchUp(fh);
        const keys = new Set<string>();
        const fresh = batch.filter((p) => {
          if (p.key === undefined) return true;
          if (written.has(p.key) || keys.has(p.key)) return false;
          keys.add(p.key);
          return true;
        });
        if (fresh.length > 0) {
          const lines = fresh.map((p) => p.line);
          if (torn) lines[0] = `\n${lines[0]}`;
          const pieces = lineAlignedPieces(lines, PIECE_BYTES);
          for (const piece of pieces) await writeWhole(fh, piece);
          const total = pieces.reduce((n, b) => n + b.length, 0);
          torn = false;
          for (const key of keys) written.add(key);
          // Nobody else wrote meanwhile: no need to read our own lines back.
          if ((await fh.stat()).size === before + total) scanned = before + total;
        }
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
