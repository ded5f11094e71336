/**
 * Fault injection: make chosen ops fail so tests can drive rollback and
 * teardown paths. A fault fires before the op touches the model, as a
 * refused syscall would.
 */
import { WeftError } from '../../errors/index.js';
import type { KernelOp } from '../ops.js';
import { errno } from './errno.js';

export type CallPhase = 'apply' | 'rollback' | 'teardown';

export type OpMatcher = (op: KernelOp, netns: string | undefined, phase: CallPhase) => boolean;

export interface Fault {
  /** An errno name ('EBUSY', the default 'EIO') or a WEFT_ code, which is thrown as a WeftError. */
  code?: string;
  message?: string;
  /** How many matching ops fail before the fault is spent; always when absent. */
  times?: number;
}

interface Rule {
  match: OpMatcher;
  code: string;
  message: string;
  remaining: number;
}

export class FaultInjector {
  private readonly rules: Rule[] = [];
  private opsRun = 0;

  /** Fail ops that `match`; returns a function that removes the fault. */
  add(match: OpMatcher, fault: Fault = {}): () => void {
    const rule: Rule = {
      match,
      code: fault.code ?? 'EIO',
      message: fault.message ?? 'injected fault',
      remaining: fault.times ?? Number.POSITIVE_INFINITY,
    };
    this.rules.push(rule);
    return () => {
      const index = this.rules.indexOf(rule);
      if (index >= 0) this.rules.splice(index, 1);
    };
  }

  /** Fail the n-th op run from now (1 = the next one), once. */
  at(n: number, fault: Omit<Fault, 'times'> = {}): () => void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`failAt needs a positive integer, not ${n}`);
    const target = this.opsRun + n;
    let seen = this.opsRun;
    return this.add(() => {
      seen += 1;
      return seen === target;
    }, { ...fault, times: 1 });
  }

  clear(): void {
    this.rules.splice(0);
  }

  /** Called once per op about to run: the error to throw, if a fault fires. */
  check(op: KernelOp, netns: string | undefined, phase: CallPhase): Error | undefined {
    this.opsRun += 1;
    let fired: Rule | undefined;
    // Every rule sees every op, so counting matchers (failAt) stay in step.
    for (const rule of this.rules) {
      if (rule.match(op, netns, phase) && !fired && rule.remaining > 0) fired = rule;
    }
    if (!fired) return undefined;
    fired.remaining -= 1;
    if (fired.remaining <= 0) this.rules.splice(this.rules.indexOf(fired), 1);
    return fired.code.startsWith('WEFT_')
      ? new WeftError(fired.code, 'Internal', fired.message)
      : errno(fired.code, fired.message);
  }
}
