/** Calls a Docker plugin socket the way dockerd does (POST, JSON body, no Content-Type), for tests. */
import http from 'node:http';
import net from 'node:net';

export interface PluginReply {
  status: number;
  body: any;
  text: string;
}

export function pluginCall(socketPath: string, method: string, body?: unknown, options: { raw?: string | Buffer; httpMethod?: string } = {}): Promise<PluginReply> {
  const payload = options.raw ?? (body === undefined ? '' : `${JSON.stringify(body)}\n`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method: options.httpMethod ?? 'POST', path: `/${method}`, headers: { Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like pluginCall, but throws unless the answer is 200. */
export async function pluginOk(socketPath: string, method: string, body?: unknown): Promise<any> {
  const reply = await pluginCall(socketPath, method, body);
  if (reply.status !== 200) throw new Error(`${method}: ${reply.status} ${reply.text}`);
  return reply.body;
}

/** Writes raw bytes on a fresh connection and returns everything the server sends until it closes. */
export function rawExchange(socketPath: string, bytes: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, timeoutMs);
    socket.on('data', (d) => (out += d.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (out) resolve(out);
      else reject(err);
    });
    socket.write(bytes);
  });
}
