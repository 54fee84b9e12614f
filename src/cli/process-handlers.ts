import type { Logger } from '../observe/logger.js';

/**
 * Last-resort handlers for the whole process, installed once by the entry point.
 *
 * A rejected promise nobody awaited (a fire-and-forget write, a timer's callback) is logged with
 * code UNHANDLED_REJECTION and the process goes on: Node's default would exit without saying what
 * failed, and every path that matters (consumers, HTTP routes, deliveries) handles its own errors.
 *
 * An exception nothing caught is different: it unwound a synchronous call half way, so whatever
 * that call was updating (an in-memory profile, a batch's bookkeeping, a socket) may be left
 * inconsistent. It is logged with code UNCAUGHT_EXCEPTION and the process exits 1, once the log line
 * is flushed; the supervisor restarts it and Kafka redelivers from the last committed offset.
 */
export function installProcessHandlers(log: Logger, exit: (code: number) => void = process.exit): void {
  process.on('unhandledRejection', (reason) => {
    const err = asError(reason);
    log.error({ code: 'UNHANDLED_REJECTION', err, stack: err.stack }, 'unhandled promise rejection');
  });
  process.on('uncaughtException', (err, origin) => {
    const e = asError(err);
    log.fatal({ code: 'UNCAUGHT_EXCEPTION', err: e, stack: e.stack, origin }, 'uncaught exception: exiting');
    const leave = () => exit(1);
    // flush() calls back once the line is written; the timer covers a destination that never does.
    setTimeout(leave, 1_000).unref();
    log.flush(leave);
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Warning types this process drops: each is a dependency's harmless habit that Node reports. */
const DROPPED_WARNINGS = new Set([
  // kafkajs 2.2.4 (its last release) schedules its request queue's first check at a negative delay
  // (`throttledUntil` starts at -1). Node has always run such a timer after 1 ms; from Node 23 it
  // also prints this warning, on every client, into the terminal of `demo` and `publish`.
  'TimeoutNegativeWarning',
]);
let dropping = false;

/** Stops the warnings in DROPPED_WARNINGS from being printed; every other warning goes through. Idempotent. */
export function dropKnownWarnings(): void {
  if (dropping) return;
  dropping = true;
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = warning instanceof Error ? warning.name : typeOfWarning(rest[0]);
    if (type !== undefined && DROPPED_WARNINGS.has(type)) return;
    return (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

function typeOfWarning(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && 'type' in arg && typeof arg.type === 'string') return arg.type;
  return undefined;
}
