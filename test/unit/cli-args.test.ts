/** The CLI's argument parser: docker's (pflag's) conventions and one-line usage errors. */
import { describe, expect, it } from 'vitest';
import { allValues, isSet, keyValues, lastValue, parseArgs, UsageError, type FlagSpec } from '../../src/cli/args.js';

const SPECS: FlagSpec[] = [
  { name: 'driver', short: 'd', type: 'string', description: '' },
  { name: 'subnet', type: 'string', multiple: true, description: '' },
  { name: 'label', type: 'string', multiple: true, description: '' },
  { name: 'internal', type: 'boolean', description: '' },
  { name: 'quiet', short: 'q', type: 'boolean', description: '' },
  { name: 'force', short: 'f', type: 'boolean', description: '' },
];

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('no usage error');
}

describe('parseArgs', () => {
  it('takes long, long=, short, short-attached and short= values', () => {
    for (const argv of [['--driver', 'nat'], ['--driver=nat'], ['-d', 'nat'], ['-dnat'], ['-d=nat']]) {
      expect(lastValue(parseArgs(argv, SPECS), 'driver')).toBe('nat');
    }
  });

  it('accumulates repeated flags in order, and lets the last single value win', () => {
    const a = parseArgs(['--subnet', '10.0.0.0/8', '-d', 'a', '--subnet=10.1.0.0/16', '-d', 'b'], SPECS);
    expect(allValues(a, 'subnet')).toEqual(['10.0.0.0/8', '10.1.0.0/16']);
    expect(lastValue(a, 'driver')).toBe('b');
    expect(allValues(a, 'label')).toBeUndefined();
  });

  it('mixes flags and positionals, groups short booleans, and stops at --', () => {
    const a = parseArgs(['one', '-qf', 'two', '--internal', '--', '--not-a-flag', 'x'], SPECS);
    expect(a.positionals).toEqual(['one', 'two']);
    expect(isSet(a, 'quiet') && isSet(a, 'force') && isSet(a, 'internal')).toBe(true);
    expect(a.rest).toEqual(['--not-a-flag', 'x']);
  });

  it('takes --flag=false for booleans', () => {
    expect(isSet(parseArgs(['--internal=false'], SPECS), 'internal')).toBe(false);
    expect(isSet(parseArgs(['--internal=true'], SPECS), 'internal')).toBe(true);
    expect(usageError(() => parseArgs(['--internal=maybe'], SPECS)).message).toBe('invalid value "maybe" for --internal: expected true or false');
  });

  it('stops after N positionals and leaves the rest unparsed', () => {
    const a = parseArgs(['-q', 'name', '--', 'ip', '-br', 'a'], SPECS, { stopAfter: 1 });
    expect(a.positionals).toEqual(['name']);
    expect(a.rest).toEqual(['--', 'ip', '-br', 'a']);
  });

  it('reports bad usage in one line', () => {
    expect(usageError(() => parseArgs(['--nope'], SPECS)).message).toBe('unknown flag: --nope');
    expect(usageError(() => parseArgs(['-x'], SPECS)).message).toBe("unknown shorthand flag: 'x' in -x");
    expect(usageError(() => parseArgs(['--subnet'], SPECS)).message).toBe('flag needs an argument: --subnet');
    expect(usageError(() => parseArgs(['-qd'], SPECS)).message).toBe('flag needs an argument: --driver');
    expect(usageError(() => parseArgs(['--nope'], SPECS))).toMatchObject({ code: 'WEFT_INVALID_ARGUMENT', kind: 'BadRequest' });
  });
});

describe('keyValues', () => {
  it('parses KEY=VALUE (the value may hold =) and bare keys where allowed', () => {
    const a = parseArgs(['--label', 'a=1', '--label', 'b', '--label', 'c=x=y', '--label', 'd='], SPECS);
    expect(keyValues(a, 'label', true)).toEqual({ a: '1', b: '', c: 'x=y', d: '' });
    expect(keyValues(a, 'subnet')).toBeUndefined();
  });

  it('rejects a missing = (unless bare keys are allowed) and an empty key', () => {
    const bare = parseArgs(['--label', 'b'], SPECS);
    expect(usageError(() => keyValues(bare, 'label')).message).toBe('invalid value "b" for --label: expected KEY=VALUE');
    const empty = parseArgs(['--label', '=v'], SPECS);
    expect(usageError(() => keyValues(empty, 'label', true)).message).toBe('invalid value "=v" for --label: expected KEY=VALUE');
  });
});
