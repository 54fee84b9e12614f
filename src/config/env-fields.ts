import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** The parsers of single environment variables the schema is built from (each with its default). */

export const optionalText = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string())
  .optional()
  .transform((s) => (s === '' ? undefined : s));

export const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a positive duration like 30s, 15m, 24h or 7d, got "${text}"`,
        });
        return z.NEVER;
      }
      return ms;
    });

export const positiveInt = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a whole number' })
    .int('expected a whole number')
    .positive()
    .default(fallback);

/** A whole number from 1 to `max`, or undefined when unset or empty. */
export const optionalPositiveInt = (max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce
      .number({ error: 'expected a whole number' })
      .int('expected a whole number')
      .positive('expected a whole number above 0')
      .max(max, `expected at most ${max}`)
      .optional(),
  );

export const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''], { error: 'expected true or false' })
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const brokers = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return undefined;
    const list = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const b of list) {
      const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(b);
      const port = m ? Number(m[2]) : 0;
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected host:port[,host:port...], got "${b}"` });
        return z.NEVER;
      }
    }
    return list;
  });

/** Redis Cluster seed nodes: comma-separated `host:port` (an IPv6 address in brackets). */
export const seedNodes = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return undefined;
    const seeds: { host: string; port: number }[] = [];
    for (const item of text.split(',').map((s) => s.trim())) {
      const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(item);
      const port = m ? Number(m[2]) : 0;
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected host:port[,host:port...], got "${item}"` });
        return z.NEVER;
      }
      seeds.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
    }
    return seeds;
  });

export const port = (fallback: number) =>
  z.coerce
    .number({ error: 'expected a port number' })
    .int('expected a port number')
    .min(0)
    .max(65535)
    .default(fallback);

/** Host names, or `*.suffix` patterns, that push endpoints may use (contract v1.1). */
export const DEFAULT_WEB_PUSH_ALLOWED_HOSTS = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.push.services.mozilla.com',
  'web.push.apple.com',
  '*.push.apple.com',
  '*.notify.windows.com',
] as const;

export const hostList = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return [...DEFAULT_WEB_PUSH_ALLOWED_HOSTS];
    const list = text
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    for (const h of list) {
      if (!/^(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:]+\]$/.test(h)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected host names or *.suffix patterns separated by commas, got "${h}"`,
        });
        return z.NEVER;
      }
    }
    return list;
  });

/**
 * Names a listener answers to (ADMIN_ALLOWED_HOSTS): comma-separated host names or address literals,
 * an optional `:port` ignored; kept lower case, without brackets or a trailing root dot.
 */
export const hostNames = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined || text.trim() === '') return [];
    const names: string[] = [];
    for (const item of text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const name = listedHost(item);
      if (name === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected host names or addresses separated by commas, got "${item}"`,
        });
        return z.NEVER;
      }
      names.push(name);
    }
    return names;
  });

/**
 * The host of a `Host` header value or a list entry (`name`, `name:port`, `[v6]`, `[v6]:port`):
 * lower case, without brackets, port or trailing root dot; undefined when it is not one.
 */
export function hostOf(text: string): string | undefined {
  if (text.length > 255) return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?))(?::\d{1,5})?$/.exec(text);
  if (m === null) return undefined;
  const host = (m[1] ?? m[2] ?? '').toLowerCase();
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** A configured host (an entry of a list, or ADMIN_HOST): as hostOf, and a bare IPv6 address too. */
export function listedHost(text: string): string | undefined {
  return isIP(text) === 6 ? text.toLowerCase() : hostOf(text);
}

/** True for an address literal or name that only this machine answers. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export const url = (what: string) =>
  optionalText.refine((v) => v === undefined || URL.canParse(v), `expected an absolute URL for ${what}`);
