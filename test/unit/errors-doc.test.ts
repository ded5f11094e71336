import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, WeftError, asWeftError, isWeftError } from '../../src/errors/index.js';

describe('error codes', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it.each(Object.values(ErrorCodes))('%s is documented in docs/errors.md', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });

  it('renders as [CODE] message and keeps cause and details', () => {
    const cause = new Error('root cause');
    const err = new WeftError(ErrorCodes.POOL_OVERLAP, 'Conflict', 'subnet overlaps', { cause, details: { pool: 'x' } });
    expect(err.toString()).toBe('[WEFT_POOL_OVERLAP] subnet overlaps');
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ pool: 'x' });
    expect(isWeftError(err, ErrorCodes.POOL_OVERLAP)).toBe(true);
    expect(isWeftError(err, ErrorCodes.BAD_CIDR)).toBe(false);
  });

  it('wraps foreign errors as internal, and keeps WeftErrors as they are', () => {
    const wrapped = asWeftError(new TypeError('oops'));
    expect(wrapped).toMatchObject({ code: 'WEFT_INTERNAL', kind: 'Internal', message: 'oops' });
    const own = new WeftError(ErrorCodes.BAD_CIDR, 'BadRequest', 'bad');
    expect(asWeftError(own)).toBe(own);
  });
});
