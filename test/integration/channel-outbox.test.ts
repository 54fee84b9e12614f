import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createOutboxChannel } from '../../src/channels/outbox.js';
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
  test('large batches from one writer stay whole lines', async () => {
    const outbox = createOutboxChannel('email', root);
    const batch = (who: string) =>
      Array.from({ length: 300 }, (_, i) =>
        emailDelivery({
          alertId: `al_${who}_${i}`,
          idempotencyKey: `al_${who}_${i}:email`,
          html: `<p>${who.repeat(12_000)}</p>`,
        }),
      );
    for (let round = 0; round < 3; round++) await Promise.all(batch(`r${round}`).map((d) => outbox.send(d)));
    await outbox.close?.();
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
    // The first send is written alone; the two sent while it is in flight share the next buffer,
    // with text of every UTF-8 width (a lone surrogate reaches the file escaped by JSON.stringify).
    const s0 = smsDelivery({ body: 'plain' });
    const s = smsDelivery({ body: 'Nouvelle connexion à São Paulo — 新しいサインイン 🔐 \ud800 end' });
    const s2 = smsDelivery({ body: 'تسجيل دخول جديد' });
    const p = pushDelivery({ endpoint: 'https://push.test/abc', keys: { p256dh: 'k', auth: 'a' } });
    await Promise.all([sms.send(s0), sms.send(s), sms.send(s2), push.send(p)]);
    await Promise.all([sms.close?.(), push.close?.()]);

    expect(await readLines(path.join(root, 'sms.jsonl'))).toEqual([
      expect.objectContaining({ body: s0.body }),
      expect.objectContaining({ alert_id: s.alertId, account_id: s.accountId, to: s.to, body: s.body }),
      expect.objectContaining({ body: s2.body }),
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

  test('never follows a symbolic link planted at its file: OUTBOX_NOT_A_FILE, the target untouched', async () => {
    const elsewhere = path.join(root, 'elsewhere');
    await mkdir(elsewhere);
    const target = path.join(elsewhere, 'authorized_keys');
    // No trailing newline: following the link, the torn-tail repair would truncate it to nothing.
    await writeFile(target, 'ssh-ed25519 AAAA precious', { mode: 0o600 });
    const dir = path.join(root, 'outbox');
    await mkdir(dir, { mode: 0o700 });
    await symlink(target, path.join(dir, 'email.jsonl'));
    const dangling = path.join(elsewhere, 'created-through-link');
    await symlink(dangling, path.join(dir, 'sms.jsonl'));

    const email = createOutboxChannel('email', dir);
    await expect(email.open?.()).rejects.toMatchObject({ code: 'OUTBOX_NOT_A_FILE', retryable: false });
    const err = await email.send(emailDelivery()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'OUTBOX_NOT_A_FILE', retryable: false });
    expect((err as Error).message).toMatch(/email\.jsonl is a symbolic link/);
    await email.close?.();
    const sms = createOutboxChannel('sms', dir);
    await expect(sms.send(smsDelivery())).rejects.toMatchObject({ code: 'OUTBOX_NOT_A_FILE' });
    await sms.close?.();

    expect(await readFile(target, 'utf8')).toBe('ssh-ed25519 AAAA precious');
    await expect(stat(dangling)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await lstat(path.join(dir, 'email.jsonl'))).isSymbolicLink()).toBe(true);
  });

  test('appends across instances instead of truncating', async () => {
    for (let i = 0; i < 2; i++) {
      const outbox = createOutboxChannel('sms', root);
      await outbox.send(smsDelivery());
      await outbox.close?.();
    }
    expect(await readLines(path.join(root, 'sms.jsonl'))).toHaveLength(2);
  });

  test('writes every send, a repeated one too: like SES and Twilio it has no idempotency key', async () => {
    const d = emailDelivery();
    const outbox = createOutboxChannel('email', root);
    await Promise.all([outbox.send(d), outbox.send(d)]);
    await outbox.close?.();
    expect((await readLines(path.join(root, 'email.jsonl'))).map((l) => l.alert_id)).toEqual([
      d.alertId,
      d.alertId,
    ]);
  });

  test('a line torn after its key (a sender killed mid-write) is dropped, not delivered, and the next line is whole', async () => {
    const file = path.join(root, 'email.jsonl');
    const before = emailDelivery();
    const d = emailDelivery();
    const writer = createOutboxChannel('email', root);
    await writer.send(before);
    await writer.close?.();
    await writeFile(
      file,
      `{"idempotency_key":${JSON.stringify(d.idempotencyKey)},"alert_id":"${d.alertId}","acc`,
      { flag: 'a' },
    );
    const restarted = createOutboxChannel('email', root);
    await restarted.send(d); // the re-run after the claim's lease lapsed
    await restarted.close?.();
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect((await readLines(file)).map((l) => l.alert_id)).toEqual([before.alertId, d.alertId]);
  });

  test('a line torn just before its newline is not a delivery: a line counts once its newline is written', async () => {
    const file = path.join(root, 'email.jsonl');
    const d = emailDelivery();
    const writer = createOutboxChannel('email', root);
    await writer.send(d);
    await writer.close?.();
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, -1)); // killed before the newline went out
    const restarted = createOutboxChannel('email', root);
    const meanwhile = emailDelivery();
    await restarted.send(meanwhile); // starts on a line of its own
    await restarted.send(d); // the re-run of the killed sender's delivery
    await restarted.close?.();
    const ids = (await readLines(file)).map((l) => l.alert_id);
    expect(ids).toEqual([meanwhile.alertId, d.alertId]);
  });

  test('a file with no newline at all (killed during its first line) starts again empty', async () => {
    const file = path.join(root, 'email.jsonl');
    await writeFile(file, '{"idempotency_key":"cut-sh');
    const outbox = createOutboxChannel('email', root);
    const d = emailDelivery();
    await outbox.send(d);
    await outbox.close?.();
    expect((await readLines(file)).map((l) => l.alert_id)).toEqual([d.alertId]);
  });

  test('a file another live process holds is refused with OUTBOX_IN_USE, not retryable', async () => {
    // The jest parent is alive and is not this process.
    await writeFile(path.join(root, 'email.jsonl.lock'), `${process.ppid}\n`);
    const outbox = createOutboxChannel('email', root);
    const refused = { code: 'OUTBOX_IN_USE', retryable: false };
    await expect(outbox.open?.()).rejects.toMatchObject(refused);
    await expect(outbox.send(emailDelivery())).rejects.toMatchObject(refused);
    await expect(outbox.open?.()).rejects.toThrow(new RegExp(`process ${process.ppid}\\b.*OUTBOX_DIR`));
    await outbox.close?.();
    expect(await readFile(path.join(root, 'email.jsonl.lock'), 'utf8')).toBe(`${process.ppid}\n`);
  });

  test('a second instance in this process is refused while the first is open, and takes over once it closes', async () => {
    const a = createOutboxChannel('sms', root);
    const b = createOutboxChannel('sms', root);
    await a.open?.();
    await expect(b.send(smsDelivery())).rejects.toMatchObject({ code: 'OUTBOX_IN_USE', retryable: false });
    await a.close?.();
    await b.send(smsDelivery());
    await b.close?.();
    expect(await readLines(path.join(root, 'sms.jsonl'))).toHaveLength(1);
  });

  test('a lock left by a dead process, or naming this pid without this process holding it, is taken over', async () => {
    const lock = path.join(root, 'email.jsonl.lock');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    for (const pid of [dead, process.pid]) {
      await writeFile(lock, `${pid}\n`);
      const outbox = createOutboxChannel('email', root);
      await outbox.open?.();
      expect(await readFile(lock, 'utf8')).toBe(`${process.pid}\n`);
      await outbox.close?.();
      await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  test('rejects a delivery for another channel', async () => {
    const outbox = createOutboxChannel('sms', root);
    await expect(outbox.send(emailDelivery())).rejects.toMatchObject({ code: 'INTERNAL', retryable: false });
  });

  test('a write cut short (the file size limit reached mid-line) fails retryable, and the next line starts whole', async () => {
    // A 4 KB file size limit (ulimit -f counts 1,024-byte blocks): the 8,000-byte line is cut at 4,096
    // bytes and its send fails. The next send opens the file anew, which drops the cut line, so the
    // third line fits and is whole; appended onto the cut one it would fail too, and stay torn.
    const child = new URL('../support/outbox-child.ts', import.meta.url).pathname;
    const run = spawnSync(
      'bash',
      [
        '-c',
        'ulimit -f 4 && exec "$@"',
        'bash',
        process.execPath,
        '--import',
        'tsx',
        child,
        root,
        'first',
        'x'.repeat(8_000),
        'third',
      ],
      { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(['sent', 'PROVIDER_UNAVAILABLE retryable', 'sent']);
    const text = await readFile(path.join(root, 'sms.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { body: string }).body),
    ).toEqual(['first', 'third']);
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
