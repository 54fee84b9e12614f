import type { SignInContext } from './types.js';

/** The event's own time in epoch ms; falls back to `ctx.now` if the timestamp does not parse. */
export function eventTime(ctx: SignInContext): number {
  const at = Date.parse(ctx.event.occurred_at);
  return Number.isFinite(at) ? at : ctx.now;
}

/** True when `key` was last seen no longer than `windowMs` before `now`. */
export function seenWithin(map: Record<string, number>, key: string, now: number, windowMs: number): boolean {
  // hasOwn: history is parsed JSON, and a key such as "constructor" must not hit the prototype.
  if (!Object.hasOwn(map, key)) return false;
  const lastSeen = map[key];
  return typeof lastSeen === 'number' && now - lastSeen <= windowMs;
}
