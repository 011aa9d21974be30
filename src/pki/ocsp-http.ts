// OCSP over HTTP (RFC 6960 appendix A, RFC 5019): GET {prefix}/{base64 request} and POST {prefix}
// with Content-Type application/ocsp-request. Answers application/ocsp-response; OCSP-level errors
// (malformedRequest, unauthorized, internalError, tryLater) are HTTP 200 with the OCSP error status, as
// clients expect; HTTP-level refusals are 415 (wrong content type) and 413 (body over 16 KB).
//
// The database stays outside. The hot path: a single SHA-1 CertID without nonce (RFC 5019 clients) is
// answered by `presigned`, which gives bytes signed ahead of time (app/pki/ocsp-responder.ts keeps them
// in memory and in the database). Everything else (other hashes, several CertIDs, a nonce the client
// insists on, a serial without a pre-signed answer) is signed on demand through a bounded SigningPool
// from `lookup`'s status; beyond the pool's bounds the answer is tryLater. Single-CertID answers signed
// on demand are kept in an OcspCache; call `cache.invalidate(serialHex)` when a status changes.
//
// Logging costs nothing per request: the routes log at warn only, counters (`ocspCounters`) tell the
// volume, and one answer in `logSampleEvery` is logged at info with its request id.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  OCSP_MAX_REQUEST_BYTES,
  OcspCache,
  buildOcspResponse,
  errorResponse,
  isOcspHashName,
  parseGetPath,
  parseOcspRequest,
  toHex,
  type CachedOcspResponse,
  type CertStatusInfo,
  type IssuerIdentity,
  type OcspErrorStatus,
  type OcspHashName,
  type ResponderInfo,
  type SerialStatus,
} from './ocsp.ts';
import { PoolBusyError, SigningPool } from './signing-pool.ts';

/** What answers for one issuing CA: the responder that signs, and the CA's hashes for CertID matching. */
export interface OcspAuthority {
  responder: ResponderInfo;
  issuer: IssuerIdentity;
}

/**
 * What to do with a request nonce the client did not mark critical: `presigned` answers it from the
 * pre-signed (or cached) answer without the nonce when one exists, as RFC 5019 §4 allows and large CAs
 * do (clients such as openssl then warn "no nonce in response" and accept); `sign` always signs a
 * fresh answer echoing it. A critical nonce is always echoed.
 */
export type NonceMode = 'presigned' | 'sign';

export interface OcspRoutesOptions {
  /** Route prefix, default '/pki/ocsp'. */
  prefix?: string;
  /**
   * Status of a certificate of a known issuer. `issuerKeyHashHex` is always the SHA-1 key hash of the
   * issuer (`issuer.hashes.sha1.keyHash`), whatever hash the request used. Unknown serial of a known
   * issuer → `{ status: 'unknown' }`; null → issuer not served here (unauthorized).
   */
  lookup: (issuerKeyHashHex: string, serialHex: string) => Promise<CertStatusInfo | null>;
  /**
   * The authority for an issuer key hash as found in a request (hex), computed with `hashAlgorithm`.
   * Index your CAs by `issuerIdentity(cert).hashes[alg].keyHash` for sha1 and sha256 at least.
   * null → unauthorized. Results are memoised for `authorityCacheMs`.
   */
  responderFor: (issuerKeyHashHex: string, hashAlgorithm: OcspHashName) => Promise<OcspAuthority | null>;
  /**
   * The pre-signed answer (SHA-1 CertID, no nonce) of a serial of this authority, or null when there is
   * none (unknown serial): the request is then answered on demand. Without it, every first answer is
   * signed on demand.
   */
  presigned?: (authority: OcspAuthority, serialHex: string) => Promise<CachedOcspResponse | null>;
  /** Cache of answers signed on demand (so that the revocation path can invalidate it). Default: a new one; `false`: none. */
  cache?: OcspCache | false;
  /** The pool on-demand signatures go through. Default: a new SigningPool. */
  pool?: SigningPool;
  /** Default 'presigned'. */
  nonce?: NonceMode;
  /** nextUpdate − thisUpdate of answers signed on demand, seconds. Default 3600. */
  validityS?: number;
  /** Upper bound of Cache-Control max-age for GET, seconds (also bounded by nextUpdate − now). Default: no extra bound. */
  httpMaxAgeS?: number;
  /** Memoisation of responderFor results, ms. Default 60 s; 0 disables. */
  authorityCacheMs?: number;
  /** One answer in this many is logged at info (request id, method, source, duration); 0: none. Default 0. */
  logSampleEvery?: number;
  /** Called on unexpected errors (lookup or signing failures); the client gets internalError. */
  onError?: (err: unknown) => void;
  /** Where sampled answers and internal errors are logged. Default: the Fastify server's logger (ocspRoutes), else none. */
  logger?: Pick<FastifyBaseLogger, 'info' | 'error'>;
  /** Deadline of an answer signed on demand, ms (then tryLater). Default 5,000. */
  timeoutMs?: number;
}

/** One OCSP request over HTTP, as the responder needs it (whatever server read it). */
export interface OcspHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** The DER request: POST body, or decoded from the GET path (null: none or not decodable). */
  der: Uint8Array | null;
  ifNoneMatch?: string | undefined;
  /** For the sampled log line; generated when absent. */
  id?: string | undefined;
}

/** The HTTP answer: status, headers and body (an OCSP response, errors included). */
export interface OcspHttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
}

/**
 * The responder, apart from any web framework: `handle` answers a request; `listener` serves the OCSP
 * paths straight from a node:http server (true when it took the request), for the stand-alone responder,
 * where the framework's per-request work cost more than the answer itself (issue 17: a bare node:http
 * server answered 1.5× a bare Fastify route on this machine). `ocspRoutes` serves the same answers
 * through Fastify (documented in the OpenAPI document, and what `inject` tests reach).
 */
export interface OcspResponder {
  cache: OcspCache | null;
  handle(request: OcspHttpRequest): Promise<OcspHttpAnswer>;
  refusal(code: number, status?: OcspErrorStatus): OcspHttpAnswer;
  listener(req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests the listener took and has not finished (a shutdown waits for them). */
  inFlight(): number;
}

const RESPONSE_TYPE = 'application/ocsp-response';
const REQUEST_TYPE = 'application/ocsp-request';

/** Where an answer came from (counters and sampled logs). */
type Source = 'presigned' | 'cache' | 'signed' | 'error';

const ocspAnswer = (description: string) => ({
  description,
  content: { [RESPONSE_TYPE]: { schema: { type: 'string', format: 'binary' } } },
});
/** Response schemas of the OCSP routes (OpenAPI document): DER answers, errors included. */
export const OCSP_RESPONSES = {
  200: ocspAnswer('Réponse OCSP (DER, RFC 6960) ; les erreurs OCSP (malformedRequest, unauthorized…) sont des 200'),
  '4xx': ocspAnswer('Requête HTTP refusée (400, 413, 415) : réponse OCSP malformedRequest'),
  '5xx': ocspAnswer('Erreur interne : réponse OCSP internalError'),
};

interface Answer {
  der: Uint8Array;
  source: Source;
  /** Set when the response may be cached by HTTP caches (successful, no nonce). */
  cacheable?: { nextUpdate: Date; thisUpdate: Date; etag?: string };
}

/** Answers given by this process since start, by source (read by the metrics). */
export interface OcspCounters {
  presigned: number;
  cache: number;
  signed: number;
  tryLater: number;
  malformed: number;
  unauthorized: number;
  internalError: number;
}

const counters: OcspCounters = {
  presigned: 0,
  cache: 0,
  signed: 0,
  tryLater: 0,
  malformed: 0,
  unauthorized: 0,
  internalError: 0,
};

/** A copy of the process-wide OCSP answer counters. */
export function ocspCounters(): OcspCounters {
  return { ...counters };
}

const ERROR_ANSWERS: Record<OcspErrorStatus, Answer> = {
  malformedRequest: { der: errorResponse('malformedRequest'), source: 'error' },
  internalError: { der: errorResponse('internalError'), source: 'error' },
  tryLater: { der: errorResponse('tryLater'), source: 'error' },
  sigRequired: { der: errorResponse('sigRequired'), source: 'error' },
  unauthorized: { der: errorResponse('unauthorized'), source: 'error' },
};

function fail(status: 'malformedRequest' | 'unauthorized' | 'internalError' | 'tryLater'): Answer {
  if (status === 'malformedRequest') counters.malformed++;
  else if (status === 'unauthorized') counters.unauthorized++;
  else if (status === 'tryLater') counters.tryLater++;
  else counters.internalError++;
  return ERROR_ANSWERS[status];
}

/** The OCSP responder over HTTP (see OcspResponder). */
export function ocspResponder(opts: OcspRoutesOptions): OcspResponder {
  const prefix = (opts.prefix ?? '/pki/ocsp').replace(/\/+$/, '');
  const cache = opts.cache === false ? null : (opts.cache ?? new OcspCache());
  const pool = opts.pool ?? new SigningPool();
  const nonceMode = opts.nonce ?? 'presigned';
  const validityMs = (opts.validityS ?? 3600) * 1000;
  const authorityCacheMs = opts.authorityCacheMs ?? 60_000;
  const authorities = new Map<string, { value: OcspAuthority | null; until: number }>();
  const sampleEvery = Math.max(0, Math.floor(opts.logSampleEvery ?? 0));
  const timeoutMs = opts.timeoutMs ?? 5000;
  const log = opts.logger;
  let answered = 0;

  async function authorityFor(keyHashHex: string, alg: OcspHashName): Promise<OcspAuthority | null> {
    if (authorityCacheMs <= 0) return opts.responderFor(keyHashHex, alg);
    const k = `${alg}:${keyHashHex}`;
    const now = Date.now();
    const hit = authorities.get(k);
    if (hit && hit.until > now) return hit.value;
    const value = await opts.responderFor(keyHashHex, alg);
    if (authorities.size > 10_000) authorities.clear(); // bounded: keys come from requests
    authorities.set(k, { value, until: now + authorityCacheMs });
    return value;
  }

  async function answer(der: Uint8Array): Promise<Answer> {
    const parsed = parseOcspRequest(der);
    if (!parsed.ok) return fail('malformedRequest');
    const { requests } = parsed;
    // A nonce the client did not insist on may be left out when a signed answer is at hand.
    const mayIgnoreNonce = !parsed.nonce || (!parsed.nonceCritical && nonceMode === 'presigned');
    const single = requests.length === 1 && mayIgnoreNonce ? requests[0] : undefined;
    const now = Date.now();
    // Cache key: key hash and name hash of the issuer as the request gives them (the response echoes
    // both in its CertID, so a request with another name hash must not get this answer), and the serial.
    const issuerKey = single ? toHex(single.issuerKeyHash) + toHex(single.issuerNameHash) : '';
    if (single) {
      if (single.hashAlgorithm === 'sha1' && opts.presigned) {
        const a = await authorityFor(toHex(single.issuerKeyHash), 'sha1');
        if (!a || !sameBytes(a.issuer.hashes.sha1.nameHash, single.issuerNameHash)) return fail('unauthorized');
        const pre = await opts.presigned(a, single.serialHex);
        if (pre) {
          counters.presigned++;
          return { der: pre.der, source: 'presigned', cacheable: pre };
        }
      }
      const hit = cache?.get(issuerKey, single.serialHex, now);
      if (hit) {
        counters.cache++;
        return { der: hit.der, source: 'cache', cacheable: hit };
      }
    }
    const epoch = cache?.epoch ?? 0;

    // One responder signs the whole response: every CertID must belong to the same authority.
    let authority: OcspAuthority | null = null;
    const statuses: SerialStatus[] = [];
    for (const r of requests) {
      if (!isOcspHashName(r.hashAlgorithm)) return fail('unauthorized');
      const alg = r.hashAlgorithm;
      const a = await authorityFor(toHex(r.issuerKeyHash), alg);
      if (!a || !sameBytes(a.issuer.hashes[alg].nameHash, r.issuerNameHash)) return fail('unauthorized');
      if (authority && !sameBytes(authority.responder.keyHash, a.responder.keyHash)) return fail('unauthorized');
      if (
        authority &&
        authority.issuer !== a.issuer &&
        !sameBytes(authority.issuer.hashes.sha1.keyHash, a.issuer.hashes.sha1.keyHash)
      ) {
        return fail('unauthorized');
      }
      authority = a;
      statuses.push({ serialHex: r.serialHex, hashAlgorithm: alg, status: 'unknown' });
    }
    if (!authority) return fail('malformedRequest');
    const signer = authority;
    const issuerSha1 = toHex(authority.issuer.hashes.sha1.keyHash);
    const nonce = single ? undefined : parsed.nonce;
    let out: Uint8Array;
    let thisUpdate: Date;
    let nextUpdate: Date;
    try {
      // The status is read inside the pool too: a flood of requests waits (or is refused) before any work.
      ({ out, thisUpdate, nextUpdate } = await withinDeadline(
        pool.run(async () => {
          const found = await Promise.all(statuses.map((s) => opts.lookup(issuerSha1, s.serialHex)));
          for (let i = 0; i < found.length; i++) {
            const f = found[i];
            if (!f) throw new Unauthorized();
            const s = statuses[i]!;
            s.status = f.status;
            if (f.status === 'revoked') {
              s.revokedAt = f.revokedAt ?? new Date(0);
              if (f.reason !== undefined) s.reason = f.reason;
            }
            if (f.archiveCutoff) s.archiveCutoff = f.archiveCutoff;
          }
          const t = new Date(Math.floor(Date.now() / 1000) * 1000);
          const n = new Date(t.getTime() + validityMs);
          const der = await buildOcspResponse({
            responder: signer.responder,
            issuer: signer.issuer,
            statuses,
            thisUpdate: t,
            nextUpdate: n,
            producedAt: t,
            ...(nonce ? { nonce } : {}),
          });
          return { out: der, thisUpdate: t, nextUpdate: n };
        }),
      ));
    } catch (err) {
      if (err instanceof PoolBusyError || err instanceof LateAnswer) return fail('tryLater');
      if (err instanceof Unauthorized) return fail('unauthorized');
      throw err;
    }
    counters.signed++;
    if (nonce) return { der: out, source: 'signed' };
    if (single && cache) {
      const entry = cache.set(issuerKey, single.serialHex, { der: out, thisUpdate, nextUpdate }, epoch);
      if (entry) return { der: out, source: 'signed', cacheable: entry };
    }
    return { der: out, source: 'signed', cacheable: { thisUpdate, nextUpdate } };
  }

  // The deadline bounds the slow path only (signing on demand): a timer per request would cost more than a
  // pre-signed answer itself.
  async function withinDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LateAnswer()), timeoutMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function handle(request: OcspHttpRequest): Promise<OcspHttpAnswer> {
    const started = sampleEvery ? performance.now() : 0;
    let a: Answer;
    try {
      a = request.der ? await answer(request.der) : fail('malformedRequest');
    } catch (err) {
      opts.onError?.(err);
      log?.error({ err, reqId: request.id }, 'OCSP: internal error');
      a = fail('internalError');
    }
    const headers: Record<string, string> = { 'content-type': RESPONSE_TYPE, 'cache-control': 'no-cache, no-store' };
    let status = 200;
    if (request.method === 'GET' && a.cacheable) {
      const now = Date.now();
      let maxAge = Math.floor((a.cacheable.nextUpdate.getTime() - now) / 1000);
      if (opts.httpMaxAgeS !== undefined) maxAge = Math.min(maxAge, opts.httpMaxAgeS);
      if (maxAge > 0) {
        headers['cache-control'] = `max-age=${maxAge}, public, no-transform, must-revalidate`;
        headers['last-modified'] = a.cacheable.thisUpdate.toUTCString();
        headers['expires'] = a.cacheable.nextUpdate.toUTCString();
        if (a.cacheable.etag) {
          headers['etag'] = a.cacheable.etag;
          if (request.ifNoneMatch === a.cacheable.etag) status = 304;
        }
      }
    }
    if (sampleEvery && ++answered % sampleEvery === 0) {
      log?.info(
        {
          reqId: request.id ?? randomUUID(),
          method: request.method,
          source: a.source,
          status,
          ms: Math.round((performance.now() - started) * 100) / 100,
          sampled: `1/${sampleEvery}`,
        },
        'OCSP answer',
      );
    }
    if (status === 304) return { status, headers, body: null };
    return { status, headers, body: Buffer.from(a.der.buffer, a.der.byteOffset, a.der.byteLength) };
  }

  function refusal(code: number, status: OcspErrorStatus = 'malformedRequest'): OcspHttpAnswer {
    return {
      status: code,
      headers: { 'content-type': RESPONSE_TYPE, 'cache-control': 'no-cache, no-store' },
      body: Buffer.from(errorResponse(status)),
    };
  }

  // The same paths and refusals as the routes of ocspRoutes: POST {prefix} and {prefix}/ (415 for another
  // type before the body is read, 413 over the limit), GET {prefix} and {prefix}/…; anything else is left
  // to the framework behind (HEAD, other paths: its 404).
  let taken = 0;
  function listener(req: IncomingMessage, res: ServerResponse): boolean {
    const took = listen(req, res);
    if (took) {
      taken++;
      res.once('close', () => taken--);
    }
    return took;
  }

  function listen(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    const path = url.split('?', 1)[0]!;
    const id = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 100) : undefined;
    const send = (a: OcspHttpAnswer) => {
      if (res.destroyed) return; // the client left: nothing to write
      res.writeHead(a.status, a.body ? { ...a.headers, 'content-length': String(a.body.length) } : a.headers);
      res.end(a.body ?? undefined);
    };
    if (req.method === 'GET' && (path === prefix || path.startsWith(`${prefix}/`))) {
      void handle({
        method: 'GET',
        url,
        der: path === prefix ? null : parseGetPath(url, prefix),
        ifNoneMatch: req.headers['if-none-match'],
        id,
      }).then(send);
      return true;
    }
    if (req.method !== 'POST' || (path !== prefix && path !== `${prefix}/`)) return false;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const refuse = (code: number) => {
      send(refusal(code));
      req.resume(); // drain what is left; the connection stays usable
    };
    if (type !== REQUEST_TYPE) {
      refuse(415);
      return true;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > OCSP_MAX_REQUEST_BYTES) {
      refuse(413);
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > OCSP_MAX_REQUEST_BYTES) {
        over = true;
        refuse(413);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      void handle({ method: 'POST', url, der: body, id }).then(send);
    });
    req.on('error', () => res.destroy());
    return true;
  }

  return { cache, handle, refusal, listener, inFlight: () => taken };
}

/**
 * A Fastify `serverFactory` whose node:http server gives OCSP requests to the responder's listener first
 * (`responder()` is read per request: the responder exists only once the routes are added).
 */
export function ocspServerFactory(
  responder: () => OcspResponder | null,
): (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server {
  return (handler) =>
    createServer((req, res) => {
      if (!responder()?.listener(req, res)) handler(req, res);
    });
}

/**
 * Adds the OCSP routes in their own encapsulated scope (content-type parser, error handler) and
 * returns the responder (its cache of on-demand answers, its node:http listener). Call before
 * `app.ready()`/`listen()`.
 */
export function ocspRoutes(app: FastifyInstance, opts: OcspRoutesOptions): OcspResponder {
  const prefix = (opts.prefix ?? '/pki/ocsp').replace(/\/+$/, '');
  // The server's logger: the routes' own one is at warn.
  const responder = ocspResponder({ ...opts, logger: opts.logger ?? app.log });
  const send = (reply: FastifyReply, a: OcspHttpAnswer) =>
    reply
      .code(a.status)
      .headers(a.headers)
      .send(a.body ?? undefined);
  const refuse = (reply: FastifyReply, code: number, status?: OcspErrorStatus) =>
    send(reply, responder.refusal(code, status));
  const ifNoneMatch = (request: FastifyRequest) => request.headers['if-none-match'];

  app.register(async (scope) => {
    // Raw DER bodies for this scope only.
    scope.addContentTypeParser(
      REQUEST_TYPE,
      { parseAs: 'buffer', bodyLimit: OCSP_MAX_REQUEST_BYTES },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err: { statusCode?: number }, request, reply) => {
      const code = err.statusCode;
      if (code === 413) return refuse(reply, 413);
      if (code === 415) return refuse(reply, 415);
      if (code !== undefined && code >= 400 && code < 500) return refuse(reply, 400);
      request.log.error({ err }, 'OCSP: internal error');
      return refuse(reply, 500, 'internalError');
    });
    // Wrong content type: refused before any body parser of the application runs.
    scope.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'POST') return;
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== REQUEST_TYPE) return refuse(reply, 415);
    });
    // No per-address request limit: a pre-signed answer costs what a static file does, and signing on
    // demand is bounded by the pool (tryLater beyond). Per-request logs only at warn (sampled at info).
    const config = { rateLimit: false as const, timeoutMs: (opts.timeoutMs ?? 5000) + 1000 };
    const logLevel = 'warn' as const;

    const tags = ['pki'];
    const postSchema = {
      tags,
      summary: `Répondeur OCSP (POST, corps ${REQUEST_TYPE})`,
      response: OCSP_RESPONSES,
    };
    const getSchema = {
      tags,
      summary: 'Répondeur OCSP (GET, requête DER en base64 dans le chemin)',
      response: OCSP_RESPONSES,
    };
    const post = async (request: FastifyRequest, reply: FastifyReply) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== REQUEST_TYPE || !Buffer.isBuffer(request.body)) return refuse(reply, 415);
      return send(
        reply,
        await responder.handle({ method: 'POST', url: request.url, der: request.body, id: request.id }),
      );
    };
    const postOptions = { bodyLimit: OCSP_MAX_REQUEST_BYTES, config, logLevel, schema: postSchema };
    scope.post(prefix, postOptions, post);
    scope.post(`${prefix}/`, postOptions, post);
    // GET without a request (RFC 6960 A.1 puts it in the path): the OCSP endpoint still answers.
    scope.get(prefix, { config, logLevel, schema: getSchema }, async (request, reply) =>
      send(reply, await responder.handle({ method: 'GET', url: request.url, der: null, id: request.id })),
    );
    scope.get(`${prefix}/*`, { config, logLevel, schema: getSchema }, async (request, reply) =>
      send(
        reply,
        await responder.handle({
          method: 'GET',
          url: request.url,
          der: parseGetPath(request.url, prefix),
          ifNoneMatch: ifNoneMatch(request),
          id: request.id,
        }),
      ),
    );
  });
  return responder;
}

class Unauthorized extends Error {}
class LateAnswer extends Error {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
