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
