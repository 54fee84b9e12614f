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

describe('log masking: IPv6 wherever the :: stands, and depth', () => {
  it.each([
    ['::1', '0:0:x::x'],
    ['fe80::1', 'fe80:0:x::x'],
    ['2001:db8::', '2001:db8:x::x'],
    ['::ffff:1.2.3.4', '0:0:x::x'],
    ['2001:db8:85a3::8a2e:370:7334', '2001:db8:x::x'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:0db8:x::x'],
    ['fe80::1%eth0', 'fe80:0:x::x%eth0'],
    ['[::1]:8080', '[0:0:x::x]:8080'],
    ['64:ff9b::10.0.0.1', '64:ff9b:x::x'],
  ])('masks %s in free text', (address, masked) => {
    const out = maskText(`from ${address} now`);
    expect(out).toBe(`from ${masked} now`);
  });

  it('leaves what is not an IPv6 address: times, version strings, ratios', () => {
    for (const text of ['at 12:30:45.123', 'v1.2.3', 'a::b::c', 'ratio 3:2']) {
      expect(maskText(text)).toBe(text);
    }
  });

  it('logs objects deeper than the limit as a marker, never their raw contents', () => {
    let nested: Record<string, unknown> = { email: 'deep@example.com', ip: '::1', token: 'abc' };
    for (let i = 0; i < 20; i++) nested = { child: nested };
    const text = JSON.stringify(maskValue({ event: nested }));
    expect(text).toContain('"[depth]"');
    expect(text).not.toContain('deep@example.com');
    expect(text).not.toContain('"abc"');
    // Arrays count as levels too.
    let list: unknown = ['x@example.org'];
    for (let i = 0; i < 20; i++) list = [list];
    expect(JSON.stringify(maskValue(list))).not.toContain('x@example.org');
    // Within the limit everything is kept (and masked).
    expect(maskValue({ a: { b: { c: { ip: 'fe80::1' } } } })).toEqual({
      a: { b: { c: { ip: 'fe80:0:x::x' } } },
    });
  });
});
