/** Writes one valid example AuthEvent per event type and a DLQ record to schemas/examples/ (checked by a test). */
import { writeFileSync } from 'node:fs';
import { EVENT_TYPES } from '../src/contracts/auth-event.js';
import { toDlqRecord } from '../src/kafka/dlq.js';

const dir = new URL('../schemas/examples/', import.meta.url).pathname;
for (const type of EVENT_TYPES) {
  const event: Record<string, unknown> = {
    event_id: `evt-example-${type.replace('.', '-')}`,
    schema_version: 1,
    type,
    occurred_at: '2026-11-24T14:05:00Z',
    account_id: 'acct-123',
    product: 'chatgpt',
    client: {
      ip: '81.2.69.160',
      user_agent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
      device_id: 'dev-8f2c',
    },
    auth: { method: type === 'login.failed' ? 'password' : 'passkey' },
    source: 'auth-service',
  };
  if (type === 'login.succeeded') event.session_id = 'sess-42';
  if (type === 'login.failed') (event.auth as Record<string, unknown>).failure_reason = 'bad_password';
  if (type.startsWith('credential.'))
    (event.auth as Record<string, unknown>).credential_id = 'cred-yubikey-1';
  // YubiKey 5 Series (USB-A/C, firmware 5.1+); the AAGUID arrives at registration only.
  if (type === 'credential.added')
    (event.auth as Record<string, unknown>).aaguid = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
  writeFileSync(`${dir}${type}.json`, `${JSON.stringify(event, null, 2)}\n`);
}

// A dead-letter record as the pipeline writes it, for an event whose user agent breaks the length rule.
const rejected = Buffer.from(
  JSON.stringify({
    event_id: 'evt-example-bad',
    client: { ip: '81.2.69.160', user_agent: 'x'.repeat(3000) },
  }),
);
const dlq = toDlqRecord(
  { topic: 'auth.events', partition: 4 },
  { key: Buffer.from('acct-123'), value: rejected, headers: { source: 'auth-service' }, offset: '1288' },
  { code: 'INVALID_EVENT', message: 'client.user_agent: Too big: expected string to have <=2048 characters' },
  Date.parse('2026-11-24T14:05:01Z'),
);
writeFileSync(`${dir}dlq-record.json`, `${JSON.stringify(dlq, null, 2)}\n`);
