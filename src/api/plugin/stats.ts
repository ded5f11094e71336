/** Per-method counts and handler times of the plugin server (the bench reads them apart from the engine's own time). */

export interface MethodStats {
  count: number;
  errors: number;
  totalMs: number;
  maxMs: number;
}

export class RequestStats {
  private readonly methods = new Map<string, MethodStats>();

  record(path: string, ms: number, status: number): void {
    // Unknown paths are counted together: a client sending random paths cannot grow the map.
    const key = path.startsWith('/Plugin.') || path.startsWith('/NetworkDriver.') || path.startsWith('/IpamDriver.') ? path : '(unknown)';
    const s = this.methods.get(key) ?? { count: 0, errors: 0, totalMs: 0, maxMs: 0 };
    s.count++;
    if (status !== 200) s.errors++;
    s.totalMs += ms;
    s.maxMs = Math.max(s.maxMs, ms);
    this.methods.set(key, s);
  }

  snapshot(): Record<string, MethodStats> {
    return Object.fromEntries([...this.methods].map(([k, v]) => [k, { ...v }]));
  }
}
