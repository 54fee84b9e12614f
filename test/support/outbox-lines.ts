import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The complete lines of a running pipeline's `<dir>/<channel>.jsonl`, parsed. The outbox appends
 * while the test reads, so the text after the last newline may be part of a line still being
 * written: it is left for the next read. A file not written yet has no lines.
 */
export async function outboxLines<T>(dir: string, channel: 'email' | 'sms' | 'push' = 'email'): Promise<T[]> {
  const text = await readFile(join(dir, `${channel}.jsonl`), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}
