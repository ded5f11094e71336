/**
 * Prints one plain closing line, "Tests: N passed, N failed, N skipped", and
 * fails the run when any test was skipped or todo: in weft a test that cannot
 * run must fail loudly, never count as passing.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && module.children.size === 0) failed++;
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (skipped > 0) {
      process.stdout.write('weft: skipped tests are not allowed; make them run or fail\n');
      process.exitCode = 1;
    }
  }
}
