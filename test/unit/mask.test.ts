import { maskText, maskValue } from '../../src/observe/mask.js';

describe('log masking', () => {
  it('masks emails, phone numbers, IP addresses and tokens in free text', () => {
    const line = maskText(
      'mail ana.souza@example.com phone +5511912345678 from 81.2.69.160 and 2001:db8:85a3::8a2e:370:7334 token eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl',
    );
    expect(line).not.toContain('ana.souza@');
    expect(line).toContain('a***@example.com');
    expect(line).not.toContain('912345678');
    expect(line).not.toContain('81.2.69.160');
    expect(line).toContain('81.2.x.x');
    expect(line).not.toContain('8a2e:370:7334');
    expect(line).not.toContain('eyJhdWQiOiJodHRwcyJ9');
  });

  it('drops secrets by key and masks nested personal data', () => {
    const out = maskValue({
      password: 'hunter2',
      auth_token: 'abc',
      config: { KAFKA_SASL_PASSWORD: 'p', ALERT_LINK_SECRET: 's' },
      keys: { p256dh: 'BNcR', auth: 'tBHI' },
      event: { client: { ip: '10.1.2.3' }, contacts: { email: 'bob@example.org' } },
    }) as Record<string, Record<string, Record<string, unknown>>>;
    expect(out.password as unknown).toBe('[redacted]');
    expect(out.auth_token as unknown).toBe('[redacted]');
    expect(out.config?.KAFKA_SASL_PASSWORD).toBe('[redacted]');
    expect(out.config?.ALERT_LINK_SECRET).toBe('[redacted]');
    expect(out.keys?.p256dh).toBe('[redacted]');
    expect(out.keys?.auth).toBe('[redacted]');
    expect(out.event?.client?.ip).toBe('10.1.x.x');
    expect(out.event?.contacts?.email).toBe('b***@example.org');
  });
});

describe('log masking on hostile input', () => {
  it('caps every string, saying how much was cut', () => {
    const path = `/r/${'A'.repeat(14_000)}%E0%A4%A`;
    const out = maskText(path);
    expect(out.length).toBeLessThan(2100);
    expect(out).toMatch(/…\[\+11\d{3} chars\]$/);
    expect(maskValue({ path })).toEqual({ path: out });
  });

  it('masks the next address when a candidate before it has no domain', () => {
    expect(maskText('x@y@example.com')).toBe('x@y***@example.com');
    expect(maskText('a@b.cd1x')).toBe('a***@b.cd1x');
    expect(maskText('user@localhost')).toBe('user@localhost');
  });

  it('masks a dotted token inside a longer run and a Twilio key, and leaves short dotted names', () => {
    const jwt = `${'a'.repeat(24)}.${'b'.repeat(12)}.sig`;
    expect(maskText(`x.${jwt} end`)).toBe('x.[token] end');
    expect(maskText(`key AC${'0f'.repeat(16)}.`)).toBe('key [token].');
    expect(maskText('login-alerts.auth.events v1.2.3')).toBe('login-alerts.auth.events v1.2.3');
  });
});
