import type { Consumer } from 'kafkajs';
import { AppError, type ErrorCode } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import { backoffMs } from './retrying.js';

/** What a consumer reports about itself, in the order it can happen. */
export type ConsumerEvent =
  /** Joined its group: consuming (again) the partitions assigned to it, by topic. */
  | { event: 'joined'; assigned: Record<string, number[]> }
  /** A chunk waits on a failure that time can fix (a store or broker away). */
  | { event: 'waiting'; code: ErrorCode }
  /** The waiting chunk went through. */
  | { event: 'recovered' }
  /** Stopped consuming on its own; `restartInMs` until it tries again (by kafkajs or by us). */
  | { event: 'crashed'; cause: string; restartInMs: number }
  /** stop() was called: the consumer is gone on purpose. */
  | { event: 'stopped' };

/** Which consumer reports: its group and topics; `paced` ones wait on purpose (their lag is not a stall). */
export interface ConsumerRef {
  groupId: string;
  topics: readonly string[];
  paced?: boolean;
}

/** Receives every consumer's events (the runtime turns them into health, metrics and lag polling). */
export interface ConsumerWatch {
  report(ref: ConsumerRef, event: ConsumerEvent): void;
}

/** Restart delays after a crash kafkajs does not restart: 1 s, doubling, at most 30 s. */
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A consumer that stayed up this long starts its next crash's backoff from the first delay again. */
const STABLE_AFTER_MS = 60_000;

export interface Supervisor {
  /** No restart after this; waits for one in flight. Call before stopping the consumer. */
  stop(): Promise<void>;
}

/**
 * Keeps a kafkajs consumer running. kafkajs restarts a consumer itself only after a retriable crash;
 * after any other (a codec it cannot decode, a chunk that failed for good) the consumer stays
 * stopped, every partition it owned with it. Such a crash is restarted here with backoff by running
 * `start` again (connect + run on the same consumer: its subscriptions and listeners stay). Each
 * crash is logged with CONSUMER_CRASHED and reported; a crash during or after stop() is not restarted.
 */
export function superviseConsumer(opts: {
  consumer: Consumer;
  ref: ConsumerRef;
  log: Logger;
  start: () => Promise<void>;
  report: (event: ConsumerEvent) => void;
  now?: () => number;
}): Supervisor {
  const { consumer, ref, log, report } = opts;
  const now = opts.now ?? Date.now;
  let stopped = false;
  let attempt = 0;
  let joinedAt = now();
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;

  const restart = async () => {
    timer = undefined;
    if (stopped) return;
    try {
      await consumer.connect();
      // A stop() that came while connecting owns the consumer now: it disconnects it.
      if (!stopped) await opts.start();
    } catch (err) {
      // Not joined: kafkajs emits no crash for a failed connect, so the next try is scheduled here.
      log.warn(
        { code: 'CONSUMER_CRASHED', group: ref.groupId, err: (err as Error).message },
        'restart failed',
      );
      schedule(crashCause(err));
    }
  };
  const schedule = (cause: string) => {
    if (stopped) return;
    attempt++;
    const waitMs = backoffMs(attempt, RESTART_FIRST_MS, RESTART_MAX_MS);
    report({ event: 'crashed', cause, restartInMs: waitMs });
    timer = setTimeout(() => {
      restarting = restart().finally(() => {
        restarting = undefined;
      });
    }, waitMs);
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joinedAt = now();
    report({ event: 'joined', assigned: payload.memberAssignment });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (stopped) return;
    const cause = crashCause(payload.error);
    if (now() - joinedAt >= STABLE_AFTER_MS) attempt = 0;
    const restartedBy = payload.restart ? 'kafkajs' : 'supervisor';
    log.error(
      { code: 'CONSUMER_CRASHED', group: ref.groupId, cause, restartedBy, err: payload.error.message },
      `consumer crashed (${cause}); restarting`,
    );
    // kafkajs schedules its own restart after a retriable crash: reported, not doubled.
    if (payload.restart) report({ event: 'crashed', cause, restartInMs: 0 });
    else schedule(cause);
  });

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await restarting?.catch(() => {});
    },
  };
}

/** A short name for why a consumer crashed: an AppError's code along the cause chain, else the error's name. */
export function crashCause(err: unknown): string {
  let name = 'Error';
  for (let e = err, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AppError) return e.code;
    if (e instanceof Error) name = e.name;
  }
  return name;
}
