import { type FSWatcher, type Stats, unwatchFile, watch, watchFile } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import maxmind, { type Reader, type Response } from 'maxmind';
import { AppError } from '../errors.js';

/** One MaxMind-format database file, optionally reloaded in place when the file is replaced. */
export interface MmdbSource<T extends Response> {
  readonly path: string;
  /** The metadata of the database currently answering. */
  metadata(): Reader<T>['metadata'];
  /** The record for a valid IP address, or null; maxmind returns null rather than throwing for invalid input. */
  get(ip: string): T | null;
  close(): void;
}

export interface MmdbSourceOptions {
  watch?: boolean;
  /** Called after a replaced file has been loaded and swapped in. */
  onReload?: (path: string) => void;
  /** Called when a replaced file cannot be loaded; the previous database keeps answering. */
  onError?: (path: string, error: AppError) => void;
  /** Records kept decoded per database (maxmind's own cache). */
  cacheSize?: number;
  /** Quiet time after the last file-system event before reloading (a copy writes in many steps). */
  debounceMs?: number;
  /** Safety-net stat polling interval, for file systems where fs.watch misses changes (NFS, some bind mounts). */
  pollMs?: number;
}

const DEFAULTS = { cacheSize: 10_000, debounceMs: 200, pollMs: 10_000 };

/** Opens a database; a missing, unreadable or invalid file is AppError('GEO_DB_UNAVAILABLE') naming the path. */
export async function openMmdb<T extends Response>(
  path: string,
  opts: MmdbSourceOptions = {},
): Promise<MmdbSource<T>> {
  const { cacheSize, debounceMs, pollMs } = { ...DEFAULTS, ...opts };
  let loaded = await load<T>(path, cacheSize);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let busy = false;
  let again = false;
  let rejected: string | undefined;

  // The swap is one assignment on the event loop: a lookup sees either the old or the new reader, never neither.
  const reload = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const now = signature(await stat(path));
      // Unchanged, or the same bad file already reported: nothing to do until the file changes again.
      if (closed || now === loaded.signature || now === rejected) return;
      rejected = now;
      const next = await load<T>(path, cacheSize);
      rejected = undefined;
      if (closed) return;
      loaded = next;
      opts.onReload?.(path);
    } catch (err) {
      if (!closed)
        opts.onError?.(path, unavailable(path, err, 'reload failed, keeping the previous database'));
    } finally {
      busy = false;
      if (again && !closed) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
    timer.unref();
  };

  if (opts.watch) {
    // Watch the directory, not the file: an atomic rename replaces the inode a file watch would follow,
    // and Kubernetes volumes swap a symlink beside the file. Any event just triggers a stat comparison.
    try {
      watcher = watch(dirname(path), { persistent: false }, schedule);
      watcher.on('error', (err) => opts.onError?.(path, unavailable(path, err, 'watch failed, polling')));
    } catch (err) {
      // e.g. the inotify watch limit (ENOSPC): the stat polling below still notices replacements.
      opts.onError?.(path, unavailable(path, err, 'watch failed, polling'));
    }
    watchFile(path, { persistent: false, interval: pollMs }, schedule);
  }

  return {
    path,
    metadata: () => loaded.reader.metadata,
    get: (ip) => loaded.reader.get(ip),
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      if (opts.watch) unwatchFile(path, schedule);
    },
  };
}

interface Loaded<T extends Response> {
  reader: Reader<T>;
  signature: string;
}

async function load<T extends Response>(path: string, cacheSize: number): Promise<Loaded<T>> {
  try {
    // Stat first: if the file changes while it is read, the next check sees a newer signature and reloads.
    const before = await stat(path);
    const reader = await maxmind.open<T>(path, { cache: { max: cacheSize } });
    return { reader, signature: signature(before) };
  } catch (err) {
    throw unavailable(path, err, 'cannot open');
  }
}

function signature(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
}

function unavailable(path: string, err: unknown, what: string): AppError {
  const reason = err instanceof Error ? err.message : String(err);
  return new AppError(
    'GEO_DB_UNAVAILABLE',
    `GeoIP database ${basename(path)} (${path}): ${what}: ${reason}`,
    {
      cause: err,
    },
  );
}
