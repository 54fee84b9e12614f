/**
 * One dependency's or consumer's state. `code` (an error code) and `detail` say why it is not ok, in
 * words fit for an operator: never raw error text, which can name internal hosts.
 */
export interface PartHealth {
  ok: boolean;
  code?: string;
  detail?: string;
  /** When `ok` last changed (ISO time). */
  since?: string;
}

/** Readiness of each dependency, as seen by the parts that use it: ready while every part is ok. */
export class Health {
  private readonly parts = new Map<string, PartHealth>();

  constructor(private readonly now: () => number = Date.now) {}

  set(name: string, ok: boolean, detail?: string): void {
    this.report(name, { ok, detail });
  }

  /** Sets a part's state, keeping `since` while `ok` does not change. */
  report(name: string, state: { ok: boolean; code?: string; detail?: string }): void {
    const before = this.parts.get(name);
    const since = before && before.ok === state.ok ? before.since : new Date(this.now()).toISOString();
    const part: PartHealth = { ok: state.ok, since };
    if (state.code !== undefined) part.code = state.code;
    if (state.detail !== undefined) part.detail = state.detail;
    this.parts.set(name, part);
  }

  /** Forgets a part (a consumer stopped on purpose no longer counts). */
  remove(name: string): void {
    this.parts.delete(name);
  }

  get ready(): boolean {
    if (this.parts.size === 0) return false;
    for (const p of this.parts.values()) if (!p.ok) return false;
    return true;
  }

  snapshot(): Record<string, PartHealth> {
    return Object.fromEntries(this.parts);
  }

  /** The parts that are not ok, with their reasons. */
  problems(): ({ part: string } & PartHealth)[] {
    return [...this.parts].filter(([, p]) => !p.ok).map(([part, p]) => ({ part, ...p }));
  }
}
