import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import { type AppError, toAppError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import { type Committer, type OffsetSource, partitionKey } from './committer.js';
import { retryWithBackoff } from './retrying.js';

/**
 * Work a handler started and left running: the chunk counts as processed (its offset may be
 * committed) only once `finish` has succeeded, and every earlier chunk of the partition too.
 * `finish` may be called again after a retryable failure, so it must be safe to repeat.
 */
export interface ChunkTail {
  finish: () => Promise<void>;
}

/** Unfinished tails a partition may have before its next chunk waits for the oldest. */
const MAX_TAILS_PER_PARTITION = 8;

/** Where a chunk came from (its batch), and whether kafkajs has a seek pending for its partition. */
export interface ChunkSource extends OffsetSource {
  isStale: () => boolean;
}

/**
 * Per partition: the chain of tails not yet finished, in chunk order, how many it holds, and the
 * error it stopped at (no later link of a failed chain offers an offset).
 */
interface Chain {
  done: Promise<void>;
  open: number;
  failed?: AppError;
}

export interface ChunkChains {
  /** Waits for the partition's oldest tail while it has too many unfinished. */
  makeRoom(source: ChunkSource): Promise<void>;
  /** Chains a handled chunk (offsets `first`..`last`) behind its partition's earlier ones. */
  settle(source: ChunkSource, first: string, last: string, tail: ChunkTail | undefined): void;
  /** Every chain's work settled, or `waitMs` passed. */
  drain(waitMs: number): Promise<void>;
}

export interface ChainDeps {
  consumer: Consumer;
  committer: Committer;
  log: Logger;
  stopping: () => boolean;
  /** A dependency is away (err) or back (no err). */
  dependency: (err?: AppError) => void;
  /** Delay before retry `attempt` of a tail. */
  backoff: { firstMs: number; maxMs: number };
}

/**
 * A chunk's offset is offered to the committer (which commits in the background, all partitions
 * together) once it and every earlier chunk of the partition are finished; not while kafkajs has a
 * seek pending for the partition (isStale), neither when it is settled nor when it is offered. The
 * committer drops an offer from an earlier generation than the current one: the partition is then
 * read again from its committed offset, here or by the member that owns it now.
 */
export function createChunkChains(deps: ChainDeps): ChunkChains {
  const chains = new Map<string, Chain>();
  const keyOf = (s: ChunkSource) => partitionKey(s.topic, s.partition);
  return {
    async makeRoom(source) {
      const waiting = chains.get(keyOf(source));
      if (waiting && waiting.open >= MAX_TAILS_PER_PARTITION) await waiting.done;
    },
    settle(source, first, last, tail) {
      const key = keyOf(source);
      // A seek pending now goes back to an earlier chunk that failed: this one is read again from
      // there, so it offers nothing and, failing, seeks nowhere.
      const superseded = source.isStale();
      const chain = chains.get(key) ?? { done: Promise.resolve(), open: 0 };
      chain.open++;
      chain.done = chain.done
        .then(async () => {
          if (chain.failed) return;
          if (tail) await finishTail(deps, tail, source);
          if (!superseded && !source.isStale()) {
            deps.committer.offer(source, (BigInt(last) + 1n).toString());
          }
        })
        .catch((err: unknown) => {
          chain.failed = toAppError(err);
          if (chains.get(key) === chain) chains.delete(key);
          if (!superseded) readAgain(deps, source, first, chain.failed);
        })
        .finally(() => {
          chain.open--;
        });
      chains.set(key, chain);
    },
    async drain(waitMs) {
      await Promise.race([Promise.allSettled([...chains.values()].map((c) => c.done)), sleep(waitMs)]);
    },
  };
}

/** Runs a tail's `finish` until it succeeds, waiting between tries on retryable errors. */
function finishTail(deps: ChainDeps, tail: ChunkTail, source: ChunkSource): Promise<void> {
  const where = { topic: source.topic, partition: source.partition };
  return retryWithBackoff(() => tail.finish(), {
    ...deps.backoff,
    failed: (err, attempt, waitMs) => {
      const appErr = toAppError(err);
      if (!appErr.retryable || deps.stopping()) throw appErr;
      deps.dependency(appErr);
      deps.log.warn(
        { code: appErr.code, attempt, waitMs, ...where },
        `${appErr.message} (finishing a chunk)`,
      );
    },
    recovered: () => deps.dependency(),
  });
}

/**
 * A chunk failed for good: nothing after it is committed, and the partition is read again from this
 * chunk, on a fresh chain (links still pending on the failed one offer nothing).
 */
function readAgain(deps: ChainDeps, source: ChunkSource, first: string, err: AppError): void {
  if (deps.stopping()) return;
  const where = { topic: source.topic, partition: source.partition };
  deps.log.error({ code: err.code, ...where }, `chunk left unfinished, reading it again: ${err.message}`);
  try {
    deps.consumer.seek({ topic: source.topic, partition: source.partition, offset: first });
  } catch (seekErr) {
    deps.log.warn({ err: (seekErr as Error).message, ...where }, 'seek failed; replayed after a restart');
  }
}
