// The outbox file's append protocol: whole lines, each idempotency key once, across processes.
import type { FileHandle } from 'node:fs/promises';

export interface Pending {
  line: string;
  key: string;
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
 * `appendFile` of a large buffer is split by Node into 512 KiB writes at arbitrary bytes, so two
 * writers' lines could interleave mid-line and both be lost.)
 */
const PIECE_BYTES = 64 * 1024;

export interface Piece {
  bytes: Buffer;
  /** index of the piece's first line in the lines it was cut from */
  first: number;
}

export function lineAlignedPieces(lines: string[], maxBytes: number): Piece[] {
  const pieces: Piece[] = [];
  let current: string[] = [];
  let first = 0;
  let bytes = 0;
  for (const [i, line] of lines.entries()) {
    const size = Buffer.byteLength(line);
    if (current.length > 0 && bytes + size > maxBytes) {
      pieces.push({ bytes: Buffer.from(current.join('')), first });
      current = [];
      first = i;
      bytes = 0;
    }
    current.push(line);
    bytes += size;
  }
  if (current.length > 0) pieces.push({ bytes: Buffer.from(current.join('')), first });
  return pieces;
}

/**
 * The pieces that landed right after a line without its end: a writer killed in the middle of its
 * write (after this process had looked at the file) leaves its last line cut short, and the next
 * append is glued to it, so that piece's first line no longer parses. Reads what was appended since
 * `from` (where this process last saw the file end on a line end) and finds each piece in it.
 */
export async function gluedPieces(
  fh: FileHandle,
  from: number,
  to: number,
  pieces: Piece[],
): Promise<Piece[]> {
  const region = Buffer.alloc(to - from);
  const { bytesRead } = await fh.read(region, 0, region.length, from);
  const appended = region.subarray(0, bytesRead);
  const glued: Piece[] = [];
  let at = 0;
  for (const piece of pieces) {
    const head = piece.bytes.subarray(0, 256); // holds the line's idempotency key: unique in the file
    const found = appended.indexOf(head, at);
    if (found < 0) continue; // not where it was written (the file was replaced): nothing to judge
    at = found + piece.bytes.length;
    if (head[0] !== 0x0a && found > 0 && appended[found - 1] !== 0x0a) glued.push(piece);
  }
  return glued;
}

/** One write() for the piece; a short write (disk full, a signal) finishes with more writes. */
async function writeWhole(fh: FileHandle, piece: Buffer): Promise<void> {
  let written = 0;
  while (written < piece.length) {
    const { bytesWritten } = await fh.write(piece, written, piece.length - written);
    written += bytesWritten;
  }
}

/**
 * What this process knows of the outbox file: the idempotency keys of the whole lines up to byte
 * `scanned`, which always sits just past a newline. Other processes may append to the same file
 * (replicas sharing an outbox), so each write first reads whatever was appended since.
 */
export interface FileView {
  written: Set<string>;
  scanned: number;
}

/**
 * Reads the lines appended since the last look; returns the file's size and whether it ends inside a
 * line. Bytes after the last newline are either another writer's write still in progress (its size
 * grows page by page, so a reader can see half of it) or a line torn by a writer killed mid-write.
 * They are read again next time, never taken as a line: a half-seen line read only from its middle
 * later would never yield its key, and its delivery would be written a second time.
 */
async function catchUp(view: FileView, fh: FileHandle): Promise<{ size: number; midLine: boolean }> {
  const { size } = await fh.stat();
  if (size > view.scanned) {
    const buf = Buffer.alloc(size - view.scanned);
    const { bytesRead } = await fh.read(buf, 0, buf.length, view.scanned);
    const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (end >= 0) {
      // A torn line followed by another writer's newline does not parse and stays undelivered: the
      // re-run delivery writes it whole. One torn just before its newline is whole, and delivered.
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        const key = wholeLineKey(line);
        if (key !== undefined) view.written.add(key);
      }
      view.scanned += end + 1;
    }
  }
  return { size, midLine: size > view.scanned };
}

/**
 * Appends the batch's lines whose keys the file does not hold yet, each key once. Returns the keys
 * whose line another writer's torn line glued itself to: those are not delivered and go round again.
 */
export async function appendBatch(view: FileView, fh: FileHandle, batch: Pending[]): Promise<Set<string>> {
  const { written } = view;
  const { size, midLine } = await catchUp(view, fh);
  const keys = new Set<string>();
  const fresh = batch.filter((p) => {
    if (written.has(p.key) || keys.has(p.key)) return false;
    keys.add(p.key);
    return true;
  });
  if (fresh.length === 0) return new Set();
  const lines = fresh.map((p) => p.line);
  // Our first line starts on a line of its own (an in-progress write ends before ours starts:
  // appends hold the file's lock, so the extra newline is at worst an empty line).
  if (midLine) lines[0] = `\n${lines[0]}`;
  const pieces = lineAlignedPieces(lines, PIECE_BYTES);
  for (const piece of pieces) await writeWhole(fh, piece.bytes);
  const total = pieces.reduce((n, piece) => n + piece.bytes.length, 0);
  const after = (await fh.stat()).size;
  // Only another writer's append between our look and our write can have cut a line short.
  const glued = after <= size + total ? [] : await gluedPieces(fh, size, after, pieces);
  const again = new Set(glued.map((piece) => fresh[piece.first]!.key));
  for (const p of fresh) if (!again.has(p.key)) written.add(p.key);
  // Nobody else wrote meanwhile and nothing was pending: no need to read our own lines back.
  if (!midLine && after === size + total) view.scanned = after;
  return again;
}
