/**
 * Everything the CLI touches outside itself, passed in so that main() runs
 * in-process in tests and never calls process.exit.
 */
export interface Output {
  write(chunk: string): unknown;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** Whether stdin is a terminal: `network prune` asks for confirmation only then. */
  isTTY: boolean;
  /** Where a confirmation is read from (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /**
   * Runs a program with the terminal (stdio) inherited and resolves with its
   * exit code; used by `sandbox exec`. Default: runProgram.
   */
  run?: (program: string, args: string[]) => Promise<number>;
}
