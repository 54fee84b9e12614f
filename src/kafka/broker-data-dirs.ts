/**
 * Temp data folders of the local broker. stop() removes its own; a run killed with SIGKILL cannot, so
 * each folder names the process that owns it and the next start removes those whose owner is gone.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'login-alerts-kafka-';
const OWNER_FILE = 'owner.pid';

/** A fresh data folder under `root`, owned by this process. */
export async function createOwnedDataDir(root: string): Promise<string> {
  const dir = await mkdtemp(join(root, PREFIX));
  await writeFile(join(dir, OWNER_FILE), `${process.pid}\n`);
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the data folders under `root` whose owning process has exited and that are older than
 * `minAgeMs` (a failed start keeps its folder a while: the broker log in it is the evidence). Folders
 * without an owner file (made by older versions, or by someone else) are left alone. Returns what it
 * removed; never throws.
 */
export async function removeOrphanedDataDirs(root: string, minAgeMs = 3_600_000): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    if (!entry.startsWith(PREFIX)) continue;
    const dir = join(root, entry);
    const ownerFile = join(dir, OWNER_FILE);
    try {
      const pid = Number.parseInt(await readFile(ownerFile, 'utf8'), 10);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
      if (Date.now() - (await stat(ownerFile)).mtimeMs < minAgeMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // No owner file, or it went away meanwhile: not ours to judge.
    }
  }
  return removed;
}
