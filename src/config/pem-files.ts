/**
 * PEM files named by the environment (CA bundles, client certificates and keys), read once at start.
 * Each problem is one `NAME: why` line, so a bad file stops the process with exit 2 before anything
 * connects, instead of surfacing later as a handshake that fails for a reason nobody can see.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** A PEM file larger than this is not a certificate bundle (the Mozilla bundle is ~220 KB). */
const MAX_PEM_BYTES = 1 << 20;

/** `problem` is the `NAME: why` line; `why` the same without the variable's name. */
export type PemRead<T> = { ok: true; value: T } | { ok: false; problem: string; why: string };

const fail = (variable: string, why: string) => ({ ok: false as const, problem: `${variable}: ${why}`, why });

/** The file's text, or why it cannot be used. */
function readText(variable: string, path: string): PemRead<string> {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_PEM_BYTES)
      return fail(variable, `${path} is larger than 1 MiB; expected a PEM file`);
    text = bytes.toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return fail(variable, `cannot read ${path} (${code})`);
  }
  return { ok: true, value: text };
}

/** One or more PEM certificates (a CA bundle or a certificate chain), each of which must parse. */
export function readPemCertificates(
  variable: string,
  path: string,
): PemRead<{ pem: string; first: X509Certificate }> {
  const read = readText(variable, path);
  if (!read.ok) return read;
  const blocks = read.value.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0)
    return fail(variable, `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  const parsed: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      parsed.push(new X509Certificate(block));
    } catch {
      return fail(variable, `certificate ${i + 1} in ${path} is not a valid X.509 certificate`);
    }
  }
  return { ok: true, value: { pem: blocks.join('\n'), first: parsed[0]! } };
}

/** An unencrypted PEM private key. */
export function readPemPrivateKey(variable: string, path: string): PemRead<{ pem: string; key: KeyObject }> {
  const read = readText(variable, path);
  if (!read.ok) return read;
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(read.value))
    return fail(variable, `${path} is an encrypted key; give the key unencrypted (file mode 0600)`);
  try {
    const key = createPrivateKey({ key: read.value, format: 'pem' });
    return { ok: true, value: { pem: read.value, key } };
  } catch {
    return fail(variable, `${path} holds no PEM private key`);
  }
}
