import { type DestinationStream, type Logger, pino } from 'pino';
import { maskText, maskValue } from './mask.js';

export type { Logger };

/** Structured JSON logs on stderr (or `destination`); every field and message goes through the mask. */
export function createLogger(
  level: string = 'info',
  name = 'login-alerts',
  destination: DestinationStream = pino.destination({ fd: 2, sync: false }),
): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => maskValue(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskText(a) : a));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** A logger that drops everything, for unit tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
