/** Sweeps stale engine endpoints now and then (see src/cnm/engine-sweep.ts); the timer never keeps the process alive. */
import type { EngineApi } from '../../cnm/engine-types.js';
import type { Logger } from '../../log/logger.js';

export function startSweeper(engine: EngineApi, intervalMs: number, log: Logger): { stop(): void } {
  if (intervalMs <= 0) return { stop: () => undefined };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    engine
      .sweepEngineEndpoints()
      .then((dropped) => {
        if (dropped.length > 0) log.info({ endpoints: dropped }, 'stale engine endpoints removed');
      })
      .catch((err: unknown) => log.warn({ err }, 'engine endpoint sweep failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
