export { FakeKernel, type FakeKernelOptions } from './fake-kernel.js';
export type { FakeCall, CallOutcome } from './fake-executor.js';
export type { CallPhase, Fault, OpMatcher } from './faults.js';
export type { FakeHostLink, FakeHostOptions } from './host.js';
export type { NamespaceSnapshot } from './reads.js';
export { DEFAULT_FAKE_FEATURES } from './features.js';
export { BRIDGE_MAX_PORTS } from './link-rules.js';
