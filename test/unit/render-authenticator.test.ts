import { createRenderer, type RenderInput } from '../../src/notify/render.js';
import { smsSegments } from '../../src/notify/sms.js';

const renderer = createRenderer();

const signIn: RenderInput = {
  kind: 'new_login',
  locale: 'en',
  timeZone: 'Europe/London',
  occurredAt: '2026-11-24T17:05:00Z',
  product: 'chatgpt',
  method: 'security_key',
  device: { browser: 'Chrome', browser_version: '129', os: 'macOS', device_type: 'desktop' },
  geo: { network: 'public', city: 'London', country_code: 'GB', country_name: 'United Kingdom' },
  severity: 'info',
  reasons: [],
  authenticator: 'YubiKey 5 Series',
  reportUrl: 'https://alerts.example.com/r/AQAAAAA.abc',
  settingsUrl: 'https://chatgpt.com/#settings/Security',
};
const passkeyAdded: RenderInput = {
  ...signIn,
  kind: 'account_change',
  method: 'passkey',
  change: 'credential.added',
  severity: 'warning',
  reasons: ['credential_added'],
  authenticator: 'Apple Passwords',
};

describe('the authenticator in an alert', () => {
  it('names it on a sign-in in email, SMS and push', () => {
    const out = renderer.render(signIn);
    expect(out.email.html).toContain('Signed in with your YubiKey 5 Series.');
    expect(out.email.text).toContain('Signed in with your YubiKey 5 Series.');
    expect(out.sms).toContain(', YubiKey 5 Series, ');
    expect(smsSegments(out.sms).segments).toBe(1);
    expect(out.push.body).toMatch(/^Signed in with your YubiKey 5 Series, /);
  });

  it('names it on an added passkey in email, SMS and push', () => {
    const out = renderer.render(passkeyAdded);
    expect(out.email.subject).toBe('A new passkey from Apple Passwords was added');
    expect(out.email.html).toContain('A new passkey from Apple Passwords was added');
    expect(out.email.text).toMatch(/^A new passkey from Apple Passwords was added\n/);
    expect(out.sms).toMatch(/^ChatGPT: Passkey or security key added, .*, Apple Passwords, /);
    expect(out.push.body).toMatch(/^A new passkey from Apple Passwords was added, /);
  });

  it('calls an added security key a security key, in every language', () => {
    const keyAdded = { ...passkeyAdded, method: 'security_key' as const, authenticator: 'YubiKey 5 Series' };
    const out = renderer.render(keyAdded);
    expect(out.email.subject).toBe('A new security key was added: YubiKey 5 Series');
    expect(out.email.html).toContain('A new security key was added: YubiKey 5 Series');
    expect(out.push.body).toMatch(/^A new security key was added: YubiKey 5 Series, /);
    expect(renderer.render({ ...keyAdded, locale: 'pt-BR' }).email.subject).toBe(
      'Uma nova chave de segurança foi adicionada: YubiKey 5 Series',
    );
    expect(renderer.render({ ...keyAdded, locale: 'de' }).email.subject).toBe(
      'Ein neuer Sicherheitsschlüssel wurde hinzugefügt: YubiKey 5 Series',
    );
    // Every language names it, and none calls it a passkey there.
    const passkeyWords = [
      'passkey',
      'chave de acesso',
      'llave de acceso',
      'clé d’accès',
      'Passkey',
      'パスキー',
      '패스키',
      '通行密钥',
      'पासकी',
      'مفتاح مرور',
      'ключ доступа',
    ];
    for (const locale of ['en', 'pt-BR', 'es', 'fr', 'de', 'it', 'ja', 'ko', 'zh-CN', 'hi', 'ar', 'ru']) {
      const subject = renderer.render({ ...keyAdded, locale }).email.subject;
      expect([locale, subject]).toEqual([locale, expect.stringContaining('YubiKey 5 Series')]);
      for (const word of passkeyWords)
        expect([locale, subject]).not.toEqual([locale, expect.stringContaining(word)]);
    }
  });

  it('names it in Brazilian Portuguese', () => {
    const login = renderer.render({ ...signIn, locale: 'pt-BR' });
    expect(login.email.text).toContain('Login feito com YubiKey 5 Series.');
    expect(login.email.html).toContain('Login feito com YubiKey 5 Series.');
    expect(login.sms).toContain(', YubiKey 5 Series, ');
    expect(login.push.body).toContain('Login feito com YubiKey 5 Series, ');
    const add = renderer.render({ ...passkeyAdded, locale: 'pt-BR' });
    expect(add.email.subject).toBe('Uma nova chave de acesso de Apple Passwords foi adicionada');
    expect(add.sms).toContain(', Apple Passwords, ');
    expect(add.push.body).toMatch(/^Uma nova chave de acesso de Apple Passwords foi adicionada, /);
  });

  it('says nothing of it when the name is unknown, and keeps the generic change', () => {
    for (const input of [
      { ...signIn, authenticator: undefined },
      { ...passkeyAdded, authenticator: '' },
    ]) {
      const out = renderer.render(input);
      expect(`${out.email.text}${out.sms}${out.push.body}`).not.toMatch(
        /YubiKey|iCloud|with your|passkey from/,
      );
    }
    expect(renderer.render({ ...passkeyAdded, authenticator: undefined }).email.subject).toBe(
      'A passkey or security key was added to your account',
    );
  });

  it('names no authenticator on changes other than an added credential', () => {
    const out = renderer.render({
      ...passkeyAdded,
      change: 'credential.removed',
      reasons: ['credential_removed'],
    });
    expect(`${out.email.subject}${out.email.text}${out.sms}${out.push.body}`).not.toContain('iCloud');
  });

  it('shows only names from the bundled list, and none that reads as a domain', () => {
    for (const authenticator of [
      'Key <b>"x"</b>\n\u202eevil',
      'YubiKey 5 Series CALL 18005550199',
      'ATKey.Pro CTAP2.1',
      'yubikey 5 series',
    ]) {
      const out = renderer.render({ ...signIn, authenticator });
      const all = `${out.email.subject}${out.email.html}${out.email.text}${out.sms}${out.push.title}${out.push.body}`;
      expect(all).not.toMatch(/with your|evil|18005550199|ATKey|yubikey/i);
    }
  });

  it('keeps the name in an SMS, dropping the device and the place first', () => {
    const long = {
      ...signIn,
      authenticator: 'Feitian BioPass FIDO2 Pro (Enterprise Profile)',
      severity: 'critical' as const,
    };
    const out = renderer.render(long);
    expect(out.sms).toContain('Feitian BioPass FIDO2 Pro (Enterprise Profile)');
    expect(smsSegments(out.sms).segments).toBeLessThanOrEqual(2);
  });

  it('explains unknown_credential in every locale', () => {
    const input = { ...signIn, severity: 'critical' as const, reasons: ['unknown_credential' as const] };
    expect(renderer.render(input).email.text).toContain(
      '- with a passkey or security key we never saw being added to your account',
    );
    expect(renderer.render({ ...input, locale: 'pt-BR' }).email.text).toContain(
      '- com uma chave de acesso ou de segurança que não vimos ser adicionada à sua conta',
    );
  });
});
