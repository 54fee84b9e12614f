/** Readiness of each dependency, as seen by the parts that use it. */
export class Health {
  private readonly parts = new Map<string, { ok: boolean; detail?: string }>();

  set(name: string, ok: boolean, detail?: string): void {
    this.parts.set(name, { ok, detail });
  }

  get ready(): boolean {
    if (this.parts.size === 0) return false;
    for (const p of this.parts.values()) if (!p.ok) return false;
    return true;
  }

  snapshot(): Record<string, { ok: boolean; detail?: string }> {
    return Object.fromEntries(this.parts);
  }
}
