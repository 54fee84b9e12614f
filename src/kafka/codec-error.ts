import { AppError } from '../errors.js';

/**
 * A compressed record batch that cannot be read: damaged (CORRUPT_BATCH), or larger once decompressed
 * than a consumer may hold (RECORD_TOO_LARGE). Neither is fixed by fetching it again.
 */
export class CodecError extends AppError {
  constructor(codec: string, kind: 'corrupt' | 'too-large', detail: string) {
    super(
      kind === 'corrupt' ? 'CORRUPT_BATCH' : 'RECORD_TOO_LARGE',
      kind === 'corrupt'
        ? `${codec} record batch is damaged: ${detail}`
        : `${codec} record batch decompresses past the limit: ${detail}`,
      { retryable: false },
    );
    this.name = 'CodecError';
  }
}
