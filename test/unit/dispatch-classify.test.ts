import { AppError, type ErrorCode, toAppError } from '../../src/errors.js';
import { classify } from '../../src/notify/stages/classify.js';

/** Every code a channel (or rendering, or an unknown throw) fails a send with, as it is raised. */
const RAISED: [ErrorCode, boolean][] = [
  ['PROVIDER_THROTTLED', true],
  ['PROVIDER_UNAVAILABLE', true],
  ['PROVIDER_TIMEOUT', true],
  ['CHANNEL_PAUSED', true],
  ['INTERNAL', true],
  ['PROVIDER_REJECTED', false],
  ['PROVIDER_AUTH', false],
  ['RECIPIENT_INVALID', false],
  ['PUSH_ENDPOINT_NOT_ALLOWED', false],
  ['PAYLOAD_TOO_LARGE', false],
  ['PROCESSING_FAILED', false],
];

describe('classify(error) → outcome', () => {
  test('a gone push subscription is `gone`, whatever the attempt', () => {
    for (const attempt of [1, 5, 9]) {
      expect(classify(new AppError('SUBSCRIPTION_GONE', 'HTTP 410'), attempt, 5)).toEqual({
        kind: 'gone',
        code: 'SUBSCRIPTION_GONE',
      });
    }
  });

  test('an SMS opt-out is `suppressed`, whatever the attempt', () => {
    for (const attempt of [1, 5]) {
      expect(classify(new AppError('RECIPIENT_UNSUBSCRIBED', '21610'), attempt, 5)).toEqual({
        kind: 'suppressed',
        code: 'RECIPIENT_UNSUBSCRIBED',
      });
    }
  });

  test.each(RAISED.filter(([, r]) => r))('%s (retryable) is retried while attempts remain', (code) => {
    const err = new AppError(code, 'try later', { retryable: true });
    expect(classify(err, 1, 5)).toEqual({ kind: 'retry', code });
    expect(classify(err, 4, 5)).toEqual({ kind: 'retry', code });
  });

  test.each(RAISED.filter(([, r]) => r))(
    '%s (retryable) on the last attempt is dead-lettered as RETRIES_EXHAUSTED',
    (code) => {
      const err = new AppError(code, 'still failing', { retryable: true });
      expect(classify(err, 5, 5)).toEqual({
        kind: 'dead-letter',
        code: 'RETRIES_EXHAUSTED',
        message: 'still failing',
      });
    },
  );

  test.each(RAISED.filter(([, r]) => !r))(
    '%s (not retryable) is dead-lettered at once with its own code',
    (code) => {
      const err = new AppError(code, 'refused');
      expect(classify(err, 1, 5)).toEqual({ kind: 'dead-letter', code, message: 'refused' });
    },
  );

  test('a provider Retry-After travels with the retry', () => {
    const err = new AppError('PROVIDER_THROTTLED', '429', { retryable: true, retryAfterS: 30 });
    expect(classify(err, 1, 5)).toEqual({ kind: 'retry', code: 'PROVIDER_THROTTLED', retryAfterS: 30 });
  });

  test('an unknown throw is INTERNAL and retryable', () => {
    expect(classify(toAppError(new Error('boom')), 1, 5)).toEqual({ kind: 'retry', code: 'INTERNAL' });
  });

  test('is decided by code and retryable alone, never by message text', () => {
    const a = classify(new AppError('PROVIDER_REJECTED', 'unsubscribed, gone, retry'), 1, 5);
    expect(a.kind).toBe('dead-letter');
  });
});
