import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { AccountSecuritySchema } from '../../src/contracts/account-security.js';
import { EVENT_TYPES } from '../../src/contracts/auth-event.js';
import { decodeAuthEvent, validateAuthEvent } from '../../src/contracts/decode.js';
import { renderJsonSchemas } from '../../src/contracts/json-schemas.js';
import { DlqRecordSchema } from '../../src/contracts/records.js';

const schemasDir = new URL('../../schemas/', import.meta.url).pathname;
const examplesDir = `${schemasDir}examples/`;
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('contracts and their JSON Schemas', () => {
  it('checked-in schemas are what zod generates (run `npm run schemas` when this fails)', () => {
    for (const [file, text] of Object.entries(renderJsonSchemas())) {
      expect(readFileSync(`${schemasDir}${file}`, 'utf8')).toBe(text);
    }
  });

  it('has one valid example per event type, accepted by zod and by the generated JSON Schema', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(readJson(`${schemasDir}auth-event.schema.json`));
    const files = readdirSync(examplesDir).filter((f) =>
      EVENT_TYPES.includes(f.replace(/\.json$/, '') as never),
    );
    expect(files.sort()).toEqual(EVENT_TYPES.map((t) => `${t}.json`).sort());
    for (const file of files) {
      const example = readJson(`${examplesDir}${file}`);
      expect(validateAuthEvent(example, Date.parse('2026-11-25T00:00:00Z')).ok).toBe(true);
      expect(validate(example)).toBe(true);
    }
    const profile = readJson(`${examplesDir}account-security.json`);
    expect(AccountSecuritySchema.safeParse(profile).success).toBe(true);
    expect(ajv.compile(readJson(`${schemasDir}account-security.schema.json`))(profile)).toBe(true);
  });

  it('has a DLQ record example, accepted by zod and by the generated JSON Schema', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const example = readJson(`${examplesDir}dlq-record.json`);
    expect(DlqRecordSchema.safeParse(example).success).toBe(true);
    expect(ajv.compile(readJson(`${schemasDir}dlq-record.schema.json`))(example)).toBe(true);
    expect(
      ajv.compile(readJson(`${schemasDir}dlq-record.schema.json`))({ ...example, value_sha256: 'x' }),
    ).toBe(false);
  });

  it('the JSON Schema rejects what zod rejects for a missing session on a sign-in', () => {
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(readJson(`${schemasDir}auth-event.schema.json`));
    const { session_id: _, ...noSession } = readJson(`${examplesDir}login.succeeded.json`);
    expect(validate(noSession)).toBe(false);
    expect(validateAuthEvent(noSession, Date.now()).ok).toBe(false);
  });

  it('names the field and the rule in validation errors', () => {
    const example = readJson(`${examplesDir}login.succeeded.json`);
    const bad = {
      ...example,
      client: { ...example.client, ip: '300.1.2.3' },
      auth: { method: 'carrier_pigeon' },
    };
    const result = validateAuthEvent(bad, Date.now());
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('INVALID_EVENT');
      expect(result.message).toMatch(/client\.ip: /);
      expect(result.message).toMatch(/auth\.method: .*passkey/);
    }
  });

  it('accepts a credential.added AAGUID in any 8-4-4-4-12 hex form, in zod and the JSON Schema, and names a bad one', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(readJson(`${schemasDir}auth-event.schema.json`));
    const added = readJson(`${examplesDir}credential.added.json`);
    // Google Password Manager's AAGUID is not an RFC 9562 UUID (version 1, variant 3): still an AAGUID.
    const gpm = { ...added, auth: { ...added.auth, aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4' } };
    expect(validateAuthEvent(gpm, Date.now()).ok).toBe(true);
    expect(validate(gpm)).toBe(true);
    const bad = validateAuthEvent({ ...added, auth: { ...added.auth, aaguid: 'yubikey' } }, Date.now());
    expect(bad.ok ? '' : bad.message).toMatch(/^auth\.aaguid: must be a UUID/);
    expect(validate({ ...added, auth: { ...added.auth, aaguid: 'yubikey' } })).toBe(false);
  });

  it('keeps unknown extra fields and rejects events more than 5 minutes in the future', () => {
    const example = { ...readJson(`${examplesDir}login.succeeded.json`), extra: { kept: true } };
    const now = Date.parse(example.occurred_at);
    const ok = validateAuthEvent(example, now);
    expect(ok.ok && (ok.value as Record<string, unknown>).extra).toEqual({ kept: true });
    const future = decodeAuthEvent(JSON.stringify(example), now - 6 * 60_000);
    expect(future.ok === false && future.code).toBe('EVENT_IN_FUTURE');
    expect(decodeAuthEvent(JSON.stringify(example), now - 4 * 60_000).ok).toBe(true);
  });

  it('labels non-JSON, empty and oversized records', () => {
    expect(decodeAuthEvent('{"a":', Date.now())).toMatchObject({ ok: false, code: 'INVALID_JSON' });
    expect(decodeAuthEvent(null, Date.now())).toMatchObject({ ok: false, code: 'EMPTY_RECORD' });
    expect(decodeAuthEvent('x'.repeat(20_000), Date.now())).toMatchObject({
      ok: false,
      code: 'RECORD_TOO_LARGE',
    });
  });
});
