// Classify: what an action's outcome or error is recorded as. Pure.
import type { ResponseStatus } from '../contracts/records.js';
import { AppError } from '../errors.js';
import type { ActOutcome } from '../responders/responder.js';

export interface Classified {
  status: ResponseStatus;
  error_code?: string;
}

/** done and not_found (already gone: as good as done) as they are; any failure as `failed` with its stable code. */
export function classify(result: { outcome: ActOutcome } | { error: unknown }): Classified {
  if ('outcome' in result) return { status: result.outcome };
  const code = result.error instanceof AppError ? result.error.code : 'INTERNAL';
  return { status: 'failed', error_code: code };
}
