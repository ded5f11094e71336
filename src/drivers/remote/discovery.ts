/**
 * Where a v1 ("legacy") Docker plugin named NAME lives, found by dockerd's
 * rules (reference §1.1, moby pkg/plugins/discovery.go): first a unix socket
 * `NAME.sock` or `NAME/NAME.sock`, then a spec file `NAME.spec`,
 * `NAME/NAME.spec`, `NAME.json`, `NAME/NAME.json`. dockerd looks for sockets
 * in /run/docker/plugins and for specs in /etc/docker/plugins and
 * /usr/lib/docker/plugins; here every configured directory is searched for
 * sockets first, then every one for specs, in the order given.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pluginNotFound, pluginUnsupported } from './errors.js';

export const DEFAULT_PLUGIN_DIRS: readonly string[] = ['/run/docker/plugins', '/etc/docker/plugins', '/usr/lib/docker/plugins'];

export type PluginAddress =
  | { kind: 'unix'; path: string; source: string }
  | { kind: 'tcp'; host: string; port: number; source: string };

/** Plugin names are file names: no path separators, no dot-only names. */
export function checkPluginName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name)) {
    throw pluginUnsupported(name, 'a plugin name is 1-128 of [A-Za-z0-9_.-], starting with a letter or digit');
  }
}

/** The plugin's address, or undefined when no file of its name is there (yet). Throws on a spec that names nothing usable. */
export async function findPlugin(name: string, dirs: readonly string[]): Promise<PluginAddress | undefined> {
  checkPluginName(name);
  const candidates = (dir: string, ext: string) => [join(dir, `${name}${ext}`), join(dir, name, `${name}${ext}`)];
  for (const path of dirs.flatMap((dir) => candidates(dir, '.sock'))) {
    const st = await stat(path).catch(() => undefined);
    if (st?.isSocket()) return { kind: 'unix', path, source: path };
  }
  const specs = dirs.flatMap((dir) => [...candidates(dir, '.spec'), ...candidates(dir, '.json')]);
  for (const path of specs) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const address = path.endsWith('.json') ? jsonSpecAddress(name, path, text) : text.trim();
    return parseAddress(name, address, path, dirs);
  }
  return undefined;
}

function jsonSpecAddress(name: string, path: string, text: string): string {
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw pluginNotFound(name, [], `${path} is not valid JSON: ${(err as Error).message}`);
  }
  const addr = typeof spec === 'object' && spec !== null ? Object.entries(spec).find(([k]) => k.toLowerCase() === 'addr')?.[1] : undefined;
  if (typeof addr !== 'string') throw pluginNotFound(name, [], `${path} has no "Addr"`);
  return addr.trim();
}

/** `unix:///path` or `tcp://host:port`; `https://` plugins (TLS) are not supported. */
export function parseAddress(name: string, address: string, source: string, dirs: readonly string[] = []): PluginAddress {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(address)?.[1]?.toLowerCase();
  if (!scheme) throw pluginNotFound(name, dirs, `${source}: Unknown protocol in ${JSON.stringify(address)}`);
  if (scheme === 'unix') {
    const path = address.slice('unix://'.length);
    if (!path.startsWith('/')) throw pluginNotFound(name, dirs, `${source}: ${JSON.stringify(address)} names no absolute socket path`);
    return { kind: 'unix', path, source };
  }
  if (scheme === 'tcp') {
    const url = new URL(`http://${address.slice('tcp://'.length)}`);
    const port = Number(url.port);
    if (!url.hostname || !Number.isInteger(port) || port <= 0) throw pluginNotFound(name, dirs, `${source}: ${JSON.stringify(address)} needs host:port`);
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port, source };
  }
  throw pluginUnsupported(name, `${source}: ${scheme}:// plugin addresses are not supported (unix:// and tcp:// are)`);
}

export function describeAddress(address: PluginAddress): string {
  return address.kind === 'unix' ? `unix://${address.path}` : `tcp://${address.host}:${address.port}`;
}
