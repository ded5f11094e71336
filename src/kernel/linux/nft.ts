/**
 * nftables through the `nft` tool: a text script goes to `nft -f -` as one
 * transaction (all of it applies or none does); state is read back with
 * `nft -j`. JSON *input* is avoided on purpose: nft 1.0.6 mishandles parts
 * of it. For a named namespace nft runs under `nsenter --net=…`.
 */
import { spawn } from 'node:child_process';
import { ErrorCodes, WeftError } from '../../errors/index.js';
import type { NetnsRegistry } from './netns.js';

export interface NftOptions {
  nft?: string;
  nsenter?: string;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Nft {
  private readonly nft: string;
  private readonly nsenter: string;

  constructor(
    private readonly registry: NetnsRegistry,
    options: NftOptions = {},
  ) {
    this.nft = options.nft ?? 'nft';
    this.nsenter = options.nsenter ?? 'nsenter';
  }

  /** Apply a text script as one transaction. Throws WEFT_NFT_FAILED with nft's own message. */
  async apply(script: string, netns: string | undefined): Promise<void> {
    const result = await this.run(['-f', '-'], netns, script);
    if (result.code !== 0) throw this.failure('apply', netns, result, script);
  }

  /** `nft -j list ruleset`, or one table, parsed. */
  async list(netns: string | undefined, table?: { family: string; name: string }): Promise<unknown> {
    const args = table ? ['-j', 'list', 'table', table.family, table.name] : ['-j', 'list', 'ruleset'];
    const result = await this.run(args, netns);
    if (result.code !== 0) throw this.failure('list', netns, result);
    return result.stdout.trim() ? JSON.parse(result.stdout) : { nftables: [] };
  }

  private command(args: string[], netns: string | undefined): [string, string[]] {
    if (netns === undefined) return [this.nft, args];
    // Fails early with WEFT_NETNS_NOT_FOUND rather than with nsenter's message.
    this.registry.handle(netns);
    return [this.nsenter, [`--net=${this.registry.path(netns)}`, this.nft, ...args]];
  }

  private run(args: string[], netns: string | undefined, input?: string): Promise<RunResult> {
    const [file, argv] = this.command(args, netns);
    return new Promise((resolve, reject) => {
      const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => stdout.push(d));
      child.stderr.on('data', (d: Buffer) => stderr.push(d));
      child.on('error', (err) =>
        reject(new WeftError(ErrorCodes.NFT_FAILED, 'Unavailable', `cannot run ${file}: ${err.message}`, { cause: err, details: { netns } })),
      );
      child.on('close', (code) =>
        resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
      );
      // A child that exits before reading all input closes the pipe: its exit status tells the story.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }

  private failure(what: string, netns: string | undefined, result: RunResult, script?: string): WeftError {
    const where = netns ? ` in netns ${netns}` : '';
    const reason = result.stderr.trim() || `exit status ${result.code}`;
    return new WeftError(ErrorCodes.NFT_FAILED, 'Internal', `nft ${what}${where} failed: ${reason}`, {
      details: { netns, stderr: result.stderr, exitCode: result.code, ...(script ? { script } : {}) },
    });
  }
}
