/**
 * The LinkReaper's choice of thread (src/kernel/linux/reaper.ts), with
 * stand-in workers and a recording main-thread delete: nothing here touches
 * a kernel. The real worker and the real group delete are tested against the
 * kernel in test/integration/kernel-retire.test.ts.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { LinkReaper, RETIRED_LINK_GROUP } from '../../src/kernel/linux/reaper.js';

/** A worker from plain source, answering each request as `reply` says. */
const workerReplying = (reply: string) => () =>
  new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id }) => parentPort.postMessage(${reply}));`, { eval: true });

function reaperWith(spawn: () => Worker) {
  const mainThread: number[] = [];
  const warnings: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (_fields: Record<string, unknown>, message: string) => void warnings.push(message) };
  const reaper = new LinkReaper(async (group) => {
    mainThread.push(group);
    return true;
  }, logger, spawn);
  return { reaper, mainThread, warnings };
}

describe('LinkReaper', () => {
  it('leaves the deleting to its worker when the worker manages', async () => {
    const { reaper, mainThread, warnings } = reaperWith(workerReplying('{ id, deleted: true }'));
    reaper.schedule();
    await reaper.settle();
    await reaper.close();
    expect(mainThread).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('deletes on the main thread when the worker reports a failure', async () => {
    const { reaper, mainThread, warnings } = reaperWith(workerReplying("{ id, error: 'Request rejected: EPERM' }"));
    reaper.schedule();
    // the scheduled pass, then the one settle() asks for
    await reaper.settle();
    await reaper.close();
    expect(mainThread).toEqual([RETIRED_LINK_GROUP, RETIRED_LINK_GROUP]);
    expect(warnings).toEqual(Array(2).fill('reaper worker could not delete retired links; deleting them on the main thread'));
  });

  it('deletes on the main thread when the worker dies or cannot start', async () => {
    for (const spawn of [
      () => new Worker('process.exit(3)', { eval: true }),
      () => {
        throw new Error('no threads left');
      },
    ]) {
      const { reaper, mainThread } = reaperWith(spawn);
      reaper.schedule();
      await reaper.settle();
      await reaper.close();
      expect(mainThread).toEqual([RETIRED_LINK_GROUP, RETIRED_LINK_GROUP]);
    }
  });

  it('before anything was retired, settle() deletes on the main thread and starts no worker', async () => {
    let spawned = 0;
    const { reaper, mainThread } = reaperWith(() => {
      spawned++;
      return workerReplying('{ id, deleted: true }')();
    });
    await reaper.settle();
    expect(mainThread).toEqual([RETIRED_LINK_GROUP]);
    expect(spawned).toBe(0);
    await reaper.close();
    // closed: a late retire schedules nothing
    reaper.schedule();
    await reaper.settle();
    expect(spawned).toBe(0);
  });
});
