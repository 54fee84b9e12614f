/**
 * `login-alerts ingest-file --format keycloak|auth0|okta [--product NAME] [--publish] FILE|-`: maps an IdP's
 * export or webhook body to AuthEvents (JSON lines on stdout), prints every invalid record as `record N: field:
 * rule` and every ignored one as `record N: ignored: reason` on stderr, then a count summary. With --publish the
 * valid events go to auth.events through the same publisher as `publish`. Exit 2 when any record is invalid.
 */
import { AppError } from '../errors.js';
import { IDP_FORMATS, type IdpFormat, type IngestOutcome, mapIdpText } from '../ingest/index.js';
import { publishEvents, readSource } from './publish.js';

const USAGE = `usage: login-alerts ingest-file --format ${IDP_FORMATS.join('|')} [--product NAME] [--publish] FILE|-`;

interface Args {
  format: IdpFormat;
  product?: string;
  publish: boolean;
  source: string;
}

function parseArgs(args: string[]): Args {
  let format: string | undefined;
  let product: string | undefined;
  let publish = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--format') format = args[++i];
    else if (a.startsWith('--format=')) format = a.slice('--format='.length);
    else if (a === '--product') product = args[++i];
    else if (a === '--publish') publish = true;
    else if (a.startsWith('--') && a !== '-')
      throw new AppError('BAD_USAGE', `unknown option ${a}\n${USAGE}`);
    else rest.push(a);
  }
  if (!format || !(IDP_FORMATS as readonly string[]).includes(format))
    throw new AppError('BAD_USAGE', `--format must be one of ${IDP_FORMATS.join(', ')}\n${USAGE}`);
  if (product !== undefined && (product.length < 1 || product.length > 64))
    throw new AppError('BAD_USAGE', `--product must be 1 to 64 characters\n${USAGE}`);
  const [source] = rest;
  if (!source || rest.length > 1) throw new AppError('BAD_USAGE', USAGE);
  return { format: format as IdpFormat, product, publish, source };
}

/** One line per problem, numbered from 1 like `publish`; the IdP's own id helps find the record. */
export function describeOutcome(o: IngestOutcome): string | undefined {
  const id = o.idp_event_id ? ` (${o.idp_event_id})` : '';
  if (o.kind === 'invalid') return `record ${o.index + 1}${id}: ${o.message}`;
  if (o.kind === 'ignored') return `record ${o.index + 1}${id}: ignored: ${o.reason}`;
  return undefined;
}

export async function runIngestFileCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const text = await readSource(args.source);
  const outcomes = mapIdpText(args.format, text, { now: Date.now(), product: args.product });
  const events = outcomes.flatMap((o) => (o.kind === 'event' ? [o.event] : []));
  for (const e of events) console.log(JSON.stringify(e));
  for (const o of outcomes) {
    const line = describeOutcome(o);
    if (line) console.error(line);
  }
  const invalid = outcomes.filter((o) => o.kind === 'invalid').length;
  const ignored = outcomes.length - events.length - invalid;
  console.error(
    `${outcomes.length} record(s): ${events.length} mapped, ${ignored} ignored, ${invalid} invalid`,
  );
  if (args.publish && events.length > 0) console.error(await publishEvents(events));
  if (invalid > 0 && args.publish) console.error(`${invalid} invalid record(s) were not published`);
  return invalid > 0 ? 2 : 0;
}
