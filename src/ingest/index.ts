/** One entry point over the IdP mappers: a payload (or a file's text) in the named format → outcomes. */
import { parseEventsText } from '../contracts/json-text.js';
import { mapAuth0 } from './auth0.js';
import { mapKeycloak } from './keycloak.js';
import { mapOkta } from './okta.js';
import type { IdpFormat, IngestBatch, IngestOutcome, MapOptions } from './types.js';

export {
  IDP_FORMATS,
  type IdpFormat,
  type IngestBatch,
  type IngestOutcome,
  type MapOptions,
} from './types.js';

const MAPPERS: Record<IdpFormat, (payload: unknown, opts: MapOptions) => IngestBatch> = {
  keycloak: mapKeycloak,
  auth0: mapAuth0,
  okta: mapOkta,
};

/** Maps one parsed payload (a webhook body, a JSON file) in the given IdP's format. Never throws. */
export function mapIdpPayload(format: IdpFormat, payload: unknown, opts: MapOptions): IngestBatch {
  return MAPPERS[format](payload, opts);
}

/**
 * Maps a text that is one JSON document or JSON lines (Auth0 streams JSON lines; a backfill may hold one
 * delivery per line). Records are numbered across the whole text, from 0; a line that is not JSON, or not
 * the IdP's format, is that record's problem and the rest go on.
 */
export function mapIdpText(format: IdpFormat, text: string, opts: MapOptions): IngestOutcome[] {
  const out: IngestOutcome[] = [];
  for (const item of parseEventsText(text)) {
    if (item.error !== undefined) {
      out.push({
        kind: 'invalid',
        index: out.length,
        code: 'INVALID_JSON',
        message: `line ${item.line}: ${item.error}`,
      });
      continue;
    }
    const batch = mapIdpPayload(format, item.value, opts);
    if (!batch.ok) {
      out.push({
        kind: 'invalid',
        index: out.length,
        code: 'INVALID_EVENT',
        message: `line ${item.line}: ${batch.message}`,
      });
      continue;
    }
    for (const o of batch.outcomes) out.push({ ...o, index: out.length });
  }
  return out;
}
