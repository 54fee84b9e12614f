import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createOutboxChannel, gluedPieces, lineAlignedPieces } from '../../src/channels/outbox.js';
import { emailDelivery, pushDelivery, smsDelivery } from '../support/deliveries.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'outbox-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const readLines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('outbox channel', () => {
  test('two writers appending large batches at once never interleave inside a line', async () => {
    // Two replicas sharing the outbox directory, each flushing megabytes per write: every line must
    // stay whole (a large append used to be split at arbitrary bytes, and the halves interleaved).
    const a = createOutboxChannel('email', root);
    const b = createOutboxChannel('email', root);
    const batch = (who: string) =>
      Array.from({ length: 150 }, (_, i) =>
        emailDelivery({
          alertId: `al_${who}_${i}`,
          idempotencyKey: `al_${who}_${i}:email`,
          html: `<p>${who.repeat(12_000)}</p>`,
        }),
      );
    for (let round = 0; round < 3; round++) {
      const mine = [...batch(`a${round}`), ...batch(`b${round}`)];
      await Promise.all(mine.map((d, i) => (i < 150 ? a : b).send(d)));
    }
    await Promise.all([a.close?.(), b.close?.()]);
    const raw = (await readFile(path.join(root, 'email.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
    const unparseable = raw.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    expect(unparseable).toHaveLength(0);
    expect(raw).toHaveLength(900);
  });

  test('concurrent sends produce one well-formed, non-interleaved line each', async () => {
    const dir = path.join(root, 'nested', 'outbox'); // created on first send
    const outbox = createOutboxChannel('email', dir);
    // Big bodies make interleaving visible if two writes ever overlapped.
    const deliveries = Array.from({ length: 300 }, (_, i) =>
      emailDelivery({ alertId: `al_${i}`, html: `<p>${String(i).repeat(20_000)}</p>` }),
    );
    const results = await Promise.all(deliveries.map((d) => outbox.send(d)));
    await outbox.close?.();

    expect(results).toHaveLength(300);
    const lines = await readLines(path.join(dir, 'email.jsonl'));
    expect(lines).toHaveLength(300);
    expect(new Set(lines.map((l) => l.alert_id))).toEqual(new Set(deliveries.map((d) => d.alertId)));
    for (const line of lines) {
      const d = deliveries.find((x) => x.alertId === line.alert_id)!;
      expect(line).toMatchObject({
        account_id: d.accountId,
        to: d.to,
        subject: d.subject,
        text: d.text,
        html: d.html,
      });
      expect(typeof line.at).toBe('string');
      expect(Number.isNaN(Date.parse(line.at as string))).toBe(false);
    }
  });

  test('writes SMS and push deliveries to sms.jsonl and push.jsonl with their content', async () => {
    const sms = createOutboxChannel('sms', root);
    const push = createOutboxChannel('push', root);
    const s = smsDelivery();
    const p = pushDelivery({ endpoint: 'https://push.test/abc', keys: { p256dh: 'k', auth: 'a' } });
    await Promise.all([sms.send(s), push.send(p)]);
    await Promise.all([sms.close?.(), push.close?.()]);

    expect(await readLines(path.join(root, 'sms.jsonl'))).toEqual([
      expect.objectContaining({ alert_id: s.alertId, account_id: s.accountId, to: s.to, body: s.body }),
    ]);
    expect(await readLines(path.join(root, 'push.jsonl'))).toEqual([
      expect.objectContaining({ alert_id: p.alertId, to: 'https://push.test/abc', payload: p.payload }),
    ]);
  });

  test('creates its files readable by this user only (0600) in a directory of its own (0700)', async () => {
    const dir = path.join(root, 'private-outbox');
    const outbox = createOutboxChannel('sms', dir);
    await outbox.send(smsDelivery());
    await outbox.close?.();
    expect((await stat(path.join(dir, 'sms.jsonl'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  test('appends across instances instead of truncating', async () => {
    for (let i = 0; i < 2; i++) {
      const outbox = createOutboxChannel('sms', root);
      await outbox.send(smsDelivery());
      await outbox.close?.();
    }
    expect(await readLines(path.join(root, 'sms.jsonl'))).toHaveLength(2);
  });

  test('writes a delivery once per idempotency key, across instances sharing the file and after a torn line', async () => {
    const d = emailDelivery();
    const a = createOutboxChannel('email', root);
    const b = createOutboxChannel('email', root);
    await Promise.all([a.send(d), a.send(d)]);
    await b.send(d); // another process re-running a delivery whose "sent" mark was lost
    await writeFile(path.join(root, 'email.jsonl'), '{"idempotency_key":"torn', { flag: 'a' });
    const after = emailDelivery();
    await b.send(after);
    await Promise.all([a.close?.(), b.close?.()]);
    const text = await readFile(path.join(root, 'email.jsonl'), 'utf8');
    const parsed = text
      .split('\n')
      .filter((l) => l.startsWith('{') && l.endsWith('}'))
      .map((l) => JSON.parse(l) as { alert_id: string });
    expect(parsed.map((l) => l.alert_id)).toEqual([d.alertId, after.alertId]);
  });

  test('a line torn after its key (a sender killed mid-write) does not count as delivered', async () => {
    const d = emailDelivery();
    await writeFile(
      path.join(root, 'email.jsonl'),
      `{"idempotency_key":${JSON.stringify(d.idempotencyKey)},"alert_id":"${d.alertId}","acc`,
    );
    // Another replica appends after the torn line before the re-run happens.
    const other = createOutboxChannel('email', root);
    const meanwhile = emailDelivery();
    await other.send(meanwhile);
    const restarted = createOutboxChannel('email', root);
    await restarted.send(d); // the re-run after the claim's lease lapsed
    await Promise.all([other.close?.(), restarted.close?.()]);
    const lines = (await readFile(path.join(root, 'email.jsonl'), 'utf8')).split('\n');
    const whole = lines.filter((l) => l.startsWith('{') && l.endsWith('}')).map((l) => JSON.parse(l));
    expect(whole.map((l: { alert_id: string }) => l.alert_id)).toEqual([meanwhile.alertId, d.alertId]);
  });

  test("a line seen half-written (another replica's write in progress) is read again whole, not written twice", async () => {
    const file = path.join(root, 'email.jsonl');
    const first = emailDelivery();
    const slow = emailDelivery();
    const writer = createOutboxChannel('email', root);
    await writer.send(first);
    await writer.close?.();
    // The other replica's line for `slow` is half on disk when this replica looks at the file.
    const line = (await readFile(file, 'utf8'))
      .replace(first.alertId, slow.alertId)
      .replace(first.idempotencyKey, slow.idempotencyKey);
    const half = Math.floor(line.length / 2);
    await writeFile(file, line.slice(0, half), { flag: 'a' });
    const reader = createOutboxChannel('email', root);
    await reader.send(first); // already written: looks at the file, writes nothing
    await writeFile(file, line.slice(half), { flag: 'a' }); // the other write completes
    // Its `sent` mark was lost (the other replica died): the re-run lands on this replica.
    await reader.send(slow);
    await reader.close?.();
    const ids = (await readLines(file)).map((l) => l.alert_id);
    expect(ids).toEqual([first.alertId, slow.alertId]);
  });

  test('a line torn just before its newline is whole: delivered once, also by the replica that saw it torn', async () => {
    const file = path.join(root, 'email.jsonl');
    const d = emailDelivery();
    const writer = createOutboxChannel('email', root);
    await writer.send(d);
    await writer.close?.();
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, -1)); // killed before the newline went out
    const replica = createOutboxChannel('email', root);
    const meanwhile = emailDelivery();
    await replica.send(meanwhile); // sees the torn line, starts its own on a fresh line
    await replica.send(d); // the re-run of the killed sender's delivery
    await replica.close?.();
    const ids = (await readLines(file)).map((l) => l.alert_id);
    expect(ids).toEqual([d.alertId, meanwhile.alertId]);
  });

  test("finds the piece glued to a line cut short by a writer killed after this one's look at the file", async () => {
    const file = path.join(root, 'email.jsonl');
    const line = (id: string) =>
      `${JSON.stringify({ idempotency_key: id, alert_id: id, pad: 'x'.repeat(300) })}\n`;
    await writeFile(file, line('seen-before'));
    const from = (await readFile(file)).length; // where this writer last saw the file end
    const pieces = lineAlignedPieces([line('ours-1'), line('ours-2'), line('ours-3')], 800);
    expect(pieces.map((p) => p.first)).toEqual([0, 2]);
    // Another writer's whole line, then our first piece; a killed writer's cut line, then our second.
    await writeFile(file, line('theirs'), { flag: 'a' });
    await writeFile(file, pieces[0]!.bytes, { flag: 'a' });
    await writeFile(file, '{"idempotency_key":"cut-sh', { flag: 'a' });
    await writeFile(file, pieces[1]!.bytes, { flag: 'a' });
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      expect(await gluedPieces(fh, from, size, pieces)).toEqual([pieces[1]]);
      // A piece that starts on its own newline is never glued.
      const own = lineAlignedPieces([`\n${line('ours-4')}`], 700);
      await writeFile(file, '{"idempotency_key":"cut-ag', { flag: 'a' });
      await writeFile(file, own[0]!.bytes, { flag: 'a' });
      expect(await gluedPieces(fh, size, (await fh.stat()).size, own)).toEqual([]);
    } finally {
      await fh.close();
    }
  });

  test('rejects a delivery for another channel', async () => {
    const outbox = createOutboxChannel('sms', root);
    await expect(outbox.send(emailDelivery())).rejects.toMatchObject({ code: 'INTERNAL', retryable: false });
  });

  test('a write that cannot happen fails retryable', async () => {
    const blocker = path.join(root, 'file');
    await writeFile(blocker, 'x');
    const outbox = createOutboxChannel('email', path.join(blocker, 'sub')); // a file where a dir should be
    await expect(outbox.send(emailDelivery())).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      retryable: true,
    });
  });
});
