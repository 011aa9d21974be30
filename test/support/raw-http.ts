// HTTP/1.1 over a bare TCP socket, for what fetch hides: chunked bodies sent slowly, answers that
// arrive before the body is finished, several requests on one keep-alive connection.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RawConnection {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      this.#wake();
    });
    const closed = () => {
      this.#closed = true;
      this.#wake();
    };
    socket.on('close', closed);
    socket.on('end', closed);
    socket.on('error', closed);
  }

  static open(baseUrl: string): Promise<RawConnection> {
    const { hostname, port } = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  #changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Writes bytes; false when the connection is closed (or refuses them). */
  write(data: string | Buffer): Promise<boolean> {
    if (this.#closed || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.write(data, (err) => resolve(!err));
    });
  }

  /** The next complete response (Content-Length bodies), or null if none within `timeoutMs`. */
  async response(timeoutMs = 10_000): Promise<RawResponse | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed) return parsed;
      const left = deadline - Date.now();
      if (left <= 0 || (this.#closed && !this.#parse())) return this.#parse();
      await this.#changed(Math.min(left, 200));
    }
  }

  /** Waits until the server closes the connection (true) or `timeoutMs` passes (false). */
  async untilClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed && Date.now() < deadline) await this.#changed(Math.min(200, deadline - Date.now()));
    return this.#closed;
  }

  #parse(): RawResponse | null {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const head = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffer.length < end + 4 + length) return null;
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The head of a request (CRLF line ends, blank line included). */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** One chunk of a chunked body. */
export function chunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/**
 * Keeps sending chunks of `size` bytes until the server closes the connection or `maxBytes` have
 * gone; returns the bytes sent. A short pause now and then lets the server's answer arrive.
 */
export async function sendUntilClosed(conn: RawConnection, size: number, maxBytes: number): Promise<number> {
  const piece = chunk(Buffer.alloc(size, 'j'));
  let sent = 0;
  for (let i = 0; sent < maxBytes; i++) {
    if (!(await conn.write(piece))) break;
    sent += size;
    if (i % 64 === 63) await sleep(5);
  }
  return sent;
}
