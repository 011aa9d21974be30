// A real HTTP server on 127.0.0.1 (random port) and clients that sign in like the web portal:
// one-time link → POST /api/auth/link → session cookie + x-csrf-token on every mutating request.
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../../src/http/server.ts';
import { createSignInLink } from '../../src/app/access/sessions.ts';
import { systemActor } from '../../src/app/context.ts';
import type { TestPlatform } from './platform.ts';

/** Parsed JSON bodies are whatever the API sends: tests check their shape with assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed body when the response is JSON (application/json or application/problem+json), else null. */
  json: Json;
  text: string;
  bytes: Buffer;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Raw body (sent as is); otherwise `body` is sent as JSON. */
  raw?: string | Uint8Array;
  contentType?: string;
  /** Send the session's CSRF token on mutating requests (default true). */
  csrf?: boolean;
}

export interface Client {
  /** The person's session data as returned by POST /api/auth/link. */
  session: Json;
  csrfToken: string;
  cookie: string;
  get(path: string, opts?: RequestOptions): Promise<HttpResponse>;
  post(path: string, body?: unknown, opts?: RequestOptions): Promise<HttpResponse>;
  put(path: string, body?: unknown, opts?: RequestOptions): Promise<HttpResponse>;
  patch(path: string, body?: unknown, opts?: RequestOptions): Promise<HttpResponse>;
  delete(path: string, opts?: RequestOptions): Promise<HttpResponse>;
}

export interface TestServer {
  app: FastifyInstance;
  baseUrl: string;
  /** Any request, without session unless headers say otherwise. */
  request(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<HttpResponse>;
  /** Creates a one-time link for the person and redeems it over HTTP. */
  signIn(identifier: string): Promise<Client>;
  /** Creates a one-time link (as the CLI does) and returns its token. */
  linkToken(identifier: string): Promise<string>;
  close(): Promise<void>;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function startServer(p: TestPlatform, opts: ServerOptions = {}): Promise<TestServer> {
  // checkResponses: an answer that does not fit its response schema exactly fails the test (500).
  const app = await buildServer(p.ctx, p.config, { logger: false, checkResponses: true, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('server address unknown');
  const baseUrl = `http://127.0.0.1:${address.port}`;

  const request = async (
    method: string,
    path: string,
    body?: unknown,
    o: RequestOptions = {},
  ): Promise<HttpResponse> => {
    const headers: Record<string, string> = { ...o.headers };
    let payload: string | Uint8Array | undefined;
    if (o.raw !== undefined) {
      payload = o.raw;
      if (o.contentType) headers['content-type'] = o.contentType;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, body: payload, redirect: 'follow' });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    const type = res.headers.get('content-type') ?? '';
    const json: Json = /json/.test(type) && text ? JSON.parse(text) : null;
    return { status: res.status, headers: res.headers, json, text, bytes };
  };

  const linkToken = async (identifier: string): Promise<string> =>
    (await createSignInLink(p.ctx, systemActor('test'), identifier)).token;

  const signIn = async (identifier: string): Promise<Client> => {
    const token = await linkToken(identifier);
    const res = await request('POST', '/api/auth/link', { token });
    if (res.status !== 200) throw new Error(`sign-in of ${identifier} failed: ${res.status} ${res.text}`);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('cartes_session='));
    if (!setCookie) throw new Error('no session cookie set');
    const cookie = setCookie.split(';')[0]!;
    const csrfToken = res.json.csrfToken as string;
    const send =
      (method: string) =>
      (path: string, body?: unknown, o: RequestOptions = {}) => {
        const headers: Record<string, string> = { cookie, ...o.headers };
        if (UNSAFE.has(method) && (o.csrf ?? true)) headers['x-csrf-token'] = csrfToken;
        return request(method, path, body, { ...o, headers });
      };
    return {
      session: res.json,
      csrfToken,
      cookie,
      get: (path, o) => send('GET')(path, undefined, o),
      post: send('POST'),
      put: send('PUT'),
      patch: send('PATCH'),
      delete: (path, o) => send('DELETE')(path, undefined, o),
    };
  };

  return { app, baseUrl, request, signIn, linkToken, close: () => app.close() };
}
