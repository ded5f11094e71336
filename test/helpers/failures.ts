/** Asserting that a call fails with a WeftError. */
import { expect } from 'vitest';
import { WeftError } from '../../src/errors/index.js';

/** The WeftError `promise` rejects with; anything else (or success) fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<WeftError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof WeftError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** As failureOf, and the error has `code`. */
export async function rejection(promise: Promise<unknown>, code: string): Promise<WeftError> {
  const err = await failureOf(promise);
  expect(err.code).toBe(code);
  return err;
}
