/** The sweep timer of the plugin server and its config key. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startSweeper } from '../../src/api/plugin/sweeper.js';
import type { EngineApi } from '../../src/cnm/engine-types.js';
import { resolveConfig } from '../../src/config/config.js';

describe('engine endpoint sweeper', () => {
  it('sweeps on its interval, one sweep at a time, and survives a failing sweep', async () => {
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const engine = {
      sweepEngineEndpoints: async () => {
        calls++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 25));
        inFlight--;
        if (calls === 1) throw new Error('boom');
        return [];
      },
    } as unknown as EngineApi;
    const sweeper = startSweeper(engine, 5, pino({ level: 'silent' }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    sweeper.stop();
    const seen = calls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(seen + 1);
    expect(maxInFlight).toBe(1);
  });

  it('is off with interval 0', () => {
    const engine = { sweepEngineEndpoints: () => Promise.reject(new Error('never')) } as unknown as EngineApi;
    startSweeper(engine, 0, pino({ level: 'silent' })).stop();
  });

  it('takes pluginSweepIntervalMs from the config, a non-negative integer', () => {
    expect(resolveConfig({ pluginSweepIntervalMs: 1000 }).pluginSweepIntervalMs).toBe(1000);
    expect(() => resolveConfig({ pluginSweepIntervalMs: -1 })).toThrow(/pluginSweepIntervalMs/);
    expect(() => resolveConfig({ pluginSweepIntervalMs: 1.5 })).toThrow(/pluginSweepIntervalMs/);
  });
});
