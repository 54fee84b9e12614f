// The outbox file: one writing process per file, held by a lock file naming its pid; a line counts
// only once its newline is written.
import { constants } from 'node:fs';
import { type FileHandle, link, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';

const NEWLINE = 0x0a;

export interface OutboxFile {
  /** Appends each line (its text without the newline) with a newline after it; resolves once every byte is written. */
  append(lines: readonly string[]): Promise<void>;
  /** Closes the file and gives up the lock. */
  close(): Promise<void>;
}

/** Lock files this process holds: a lock naming our own pid is stale unless it is one of these. */
const held = new Set<string>();

/**
 * Opens `file` for appending as its only writer. Refuses with OUTBOX_IN_USE while another live
 * process holds it; a lock left by a dead process is taken over. Bytes after the last newline (a
 * line cut short when the previous writer died mid-write) are dropped, so the next line starts on
 * a line of its own and the cut one is never read as a delivery.
 */
export async function openOutboxFile(file: string): Promise<OutboxFile> {
  // Lines carry addresses, phone numbers and signed links: readable by this user only.
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const lock = `${file}.lock`;
  await takeLock(lock, file);
  let fh: FileHandle | undefined;
  try {
    fh = await openNoFollow(file);
    await dropTornTail(fh);
  } catch (err) {
    await fh?.close();
    await releaseLock(lock);
    throw err;
  }
  const handle = fh;
  return {
    append: (lines) => writeWhole(handle, joinLines(lines)),
    async close() {
      await handle.close();
      await releaseLock(lock);
    },
  };
}

/**
 * Opens (creating) `file` for appending without following a symbolic link at its path, and only if
 * it is a regular file: a link planted there (pointing at a file this user may write) would
 * otherwise receive addresses and links, or be truncated by the torn-tail repair.
 */
async function openNoFollow(file: string): Promise<FileHandle> {
  const flags = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  let fh: FileHandle;
  try {
    fh = await open(file, flags, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw notAFile(file, 'is a symbolic link', err);
    throw err;
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw notAFile(file, 'is not a regular file');
  }
  return fh;
}

function notAFile(file: string, what: string, cause?: unknown): AppError {
  return new AppError(
    'OUTBOX_NOT_A_FILE',
    `outbox ${file} ${what}: it is never followed or written; remove it`,
    {
      cause,
    },
  );
}

async function takeLock(lock: string, file: string): Promise<void> {
  // Written whole under a temporary name, then linked into place: a lock file never exists without
  // its pid, and only one process's link succeeds.
  const mine = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(mine, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(mine, lock);
        held.add(lock);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      }
      const holder = await lockHolder(lock);
      if (holder !== undefined && isLive(holder, lock)) {
        throw new AppError(
          'OUTBOX_IN_USE',
          `outbox ${file} is written by process ${holder} (lock ${lock}): give each process its own OUTBOX_DIR`,
        );
      }
      // Removed only while it still names the dead holder, so a lock just taken by another is kept.
      if ((await lockHolder(lock)) === holder) await rm(lock, { force: true });
    }
  } finally {
    await rm(mine, { force: true });
  }
}

async function releaseLock(lock: string): Promise<void> {
  if (!held.delete(lock)) return;
  if ((await lockHolder(lock)) === process.pid) await rm(lock, { force: true });
}

async function lockHolder(lock: string): Promise<number | undefined> {
  const text = await readFile(lock, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Our own pid is live only for a lock this process holds (a restarted container reuses pids). */
function isLive(pid: number, lock: string): boolean {
  if (pid === process.pid) return held.has(lock);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const TAIL_CHUNK = 64 * 1024;

/** Truncates the file to just past its last newline (to empty when it has none). */
async function dropTornTail(fh: FileHandle): Promise<void> {
  const { size } = await fh.stat();
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const buf = Buffer.alloc(end - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl >= 0) {
      end = start + nl + 1;
      break;
    }
    end = start;
  }
  if (end < size) await fh.truncate(end);
}

/**
 * The lines' UTF-8 bytes, each followed by a newline, in one buffer outside the JavaScript heap: each
 * line is encoded straight from its own string, so no joined copy of a batch is made on the heap.
 */
function joinLines(lines: readonly string[]): Buffer {
  let size = lines.length;
  for (const line of lines) size += Buffer.byteLength(line);
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  for (const line of lines) {
    at += bytes.write(line, at);
    bytes[at++] = NEWLINE;
  }
  return bytes;
}

/** Writes every byte; a short write (disk full, a signal) finishes with more writes. */
async function writeWhole(fh: FileHandle, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, written, bytes.length - written);
    written += bytesWritten;
  }
}
