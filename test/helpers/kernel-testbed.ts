/**
 * What every real-kernel test file sets up: root, one LinuxKernel for the
 * file, and a pool of throwaway namespaces deleted after each test (and at
 * the end, whatever happened). Call once at the top of a test file.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createLinuxKernel, type LinuxKernel } from '../../src/kernel/linux/index.js';
import { NetnsPool, requireRoot } from './netns.js';

export function realKernelTestbed(): { pool: NetnsPool; kernel: LinuxKernel } {
  const pool = new NetnsPool();
  // Opening the kernel layer touches nothing: sockets and namespaces come on first use.
  const kernel = createLinuxKernel();
  beforeAll(() => requireRoot());
  afterEach(() => pool.cleanup());
  afterAll(async () => {
    await kernel.close();
    pool.cleanup();
  });
  return { pool, kernel };
}
