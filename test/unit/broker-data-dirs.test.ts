import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createOwnedDataDir, removeOrphanedDataDirs } from '../../src/kafka/broker-data-dirs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'broker-dirs-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

async function ownedBy(pid: number): Promise<string> {
  const dir = await createOwnedDataDir(root);
  await writeFile(path.join(dir, 'owner.pid'), `${pid}\n`);
  await mkdir(path.join(dir, 'data'));
  return dir;
}

describe('local broker data folders', () => {
  test('a new folder names this process as its owner', async () => {
    const dir = await createOwnedDataDir(root);
    expect(path.basename(dir)).toMatch(/^login-alerts-kafka-/);
    expect(Number((await readFile(path.join(dir, 'owner.pid'), 'utf8')).trim())).toBe(process.pid);
  });

  test('removes folders of exited owners only; live owners, this process and unowned folders stay', async () => {
    const live = spawn('sleep', ['30']);
    try {
      const orphan = await ownedBy(await deadPid());
      const running = await ownedBy(live.pid!);
      const mine = await createOwnedDataDir(root);
      const legacy = path.join(root, 'login-alerts-kafka-legacy');
      await mkdir(legacy); // made by an older version: no owner file
      const other = path.join(root, 'someone-else');
      await writeFile(path.join(root, 'someone-else'), '');

      expect(await removeOrphanedDataDirs(root, 0)).toEqual([orphan]);
      expect(existsSync(orphan)).toBe(false);
      for (const kept of [running, mine, legacy, other]) expect(existsSync(kept)).toBe(true);
    } finally {
      live.kill('SIGKILL');
    }
  });

  test('keeps an orphaned folder younger than the minimum age (a failed start keeps its log a while)', async () => {
    const orphan = await ownedBy(await deadPid());
    expect(await removeOrphanedDataDirs(root)).toEqual([]);
    expect(existsSync(orphan)).toBe(true);
  });

  test('a missing root is nothing to remove', async () => {
    expect(await removeOrphanedDataDirs(path.join(root, 'absent'), 0)).toEqual([]);
  });
});
