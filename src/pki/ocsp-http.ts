// OCSP over HTTP (RFC 6960 appendix A, RFC 5019): GET {prefix}/{base64 request} and POST {prefix}
// with Content-Type application/ocsp-request. Answers application/ocsp-response; OCSP-level errors
// (malformedRequest, unauthorized, internalError) are HTTP 200 with the OCSP error status, as
// clients expect; HTTP-level refusals are 415 (wrong content type) and 413 (body over 16 KB).
//
// The database stays outside: `responderFor` maps an issuer key hash to the signing identity, and
// `lookup` gives a certificate's status. Single-CertID requests without nonce are answered from an
// OcspCache of pre-signed responses; call `cache.invalidate(serialHex)` when a status changes.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  OCSP_MAX_REQUEST_BYTES,
  OcspCache,
  buildOcspResponse,
  errorResponse,
  isOcspHashName,
  parseGetPath,
  parseOcspRequest,
  toHex,
  type CertStatusInfo,
  type IssuerIdentity,
  type OcspErrorStatus,
  type OcspHashName,
  type ResponderInfo,
  type SerialStatus,
} from './ocsp.ts';

/** What answers for one issuing CA: the responder that signs, and the CA's hashes for CertID matching. */
export interface OcspAuthority {
  responder: ResponderInfo;
  issuer: IssuerIdentity;
}

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
  /** Shared cache (so that the revocation path can invalidate it). Default: a new one; `false`: none. */
  cache?: OcspCache | false;
  /** nextUpdate − thisUpdate, seconds. Default 3600. */
  validityS?: number;
  /** Upper bound of Cache-Control max-age for GET, seconds (also bounded by nextUpdate − now). Default: no extra bound. */
  httpMaxAgeS?: number;
  /** Memoisation of responderFor results, ms. Default 60 s; 0 disables. */
  authorityCacheMs?: number;
  /** Called on unexpected errors (lookup or signing failures); the client gets internalError. */
  onError?: (err: unknown) => void;
}

const RESPONSE_TYPE = 'application/ocsp-response';
const REQUEST_TYPE = 'application/ocsp-request';

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
  /** Set when the response may be cached by HTTP caches (successful, no nonce). */
  cacheable?: { nextUpdate: Date; thisUpdate: Date; etag?: string };
}

/**
 * Adds the OCSP routes in their own encapsulated scope (content-type parser, error handler) and
 * returns the cache in use. Call before `app.ready()`/`listen()`.
 */
export function ocspRoutes(app: FastifyInstance, opts: OcspRoutesOptions): OcspCache | null {
  const prefix = (opts.prefix ?? '/pki/ocsp').replace(/\/+$/, '');
  const cache = opts.cache === false ? null : (opts.cache ?? new OcspCache());
  const validityMs = (opts.validityS ?? 3600) * 1000;
  const authorityCacheMs = opts.authorityCacheMs ?? 60_000;
  const authorities = new Map<string, { value: OcspAuthority | null; until: number }>();

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
    if (!parsed.ok) return { der: errorResponse('malformedRequest') };
    const { requests, nonce } = parsed;
    const single = requests.length === 1 && !nonce ? requests[0] : undefined;
    const now = Date.now();
    // Cache key: key hash and name hash of the issuer as the request gives them (the response echoes
    // both in its CertID, so a request with another name hash must not get this answer), and the serial.
    const issuerKey = single ? toHex(single.issuerKeyHash) + toHex(single.issuerNameHash) : '';
    if (single && cache) {
      const hit = cache.get(issuerKey, single.serialHex, now);
      if (hit) return { der: hit.der, cacheable: hit };
    }
    const epoch = cache?.epoch ?? 0;

    // One responder signs the whole response: every CertID must belong to the same authority.
    let authority: OcspAuthority | null = null;
    const statuses: SerialStatus[] = [];
    for (const r of requests) {
      if (!isOcspHashName(r.hashAlgorithm)) return { der: errorResponse('unauthorized') };
      const alg = r.hashAlgorithm;
      const a = await authorityFor(toHex(r.issuerKeyHash), alg);
      if (!a || !sameBytes(a.issuer.hashes[alg].nameHash, r.issuerNameHash))
        return { der: errorResponse('unauthorized') };
      if (authority && !sameBytes(authority.responder.keyHash, a.responder.keyHash))
        return { der: errorResponse('unauthorized') };
      if (
        authority &&
        authority.issuer !== a.issuer &&
        !sameBytes(authority.issuer.hashes.sha1.keyHash, a.issuer.hashes.sha1.keyHash)
      ) {
        return { der: errorResponse('unauthorized') };
      }
      authority = a;
      statuses.push({ serialHex: r.serialHex, hashAlgorithm: alg, status: 'unknown' });
    }
    if (!authority) return { der: errorResponse('malformedRequest') };
    const issuerSha1 = toHex(authority.issuer.hashes.sha1.keyHash);
    const found = await Promise.all(statuses.map((s) => opts.lookup(issuerSha1, s.serialHex)));
    for (let i = 0; i < found.length; i++) {
      const f = found[i];
      if (!f) return { der: errorResponse('unauthorized') };
      const s = statuses[i]!;
      s.status = f.status;
      if (f.status === 'revoked') {
        s.revokedAt = f.revokedAt ?? new Date(0);
        if (f.reason !== undefined) s.reason = f.reason;
      }
    }
    const thisUpdate = new Date(Math.floor(now / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + validityMs);
    const out = await buildOcspResponse({
      responder: authority.responder,
      issuer: authority.issuer,
      statuses,
      thisUpdate,
      nextUpdate,
      producedAt: thisUpdate,
      ...(nonce ? { nonce } : {}),
    });
    if (nonce) return { der: out };
    if (single && cache) {
      const entry = cache.set(issuerKey, single.serialHex, { der: out, thisUpdate, nextUpdate }, epoch, now);
      if (entry) return { der: out, cacheable: entry };
    }
    return { der: out, cacheable: { thisUpdate, nextUpdate } };
  }

  async function respond(request: FastifyRequest, reply: FastifyReply, der: Uint8Array | null, isGet: boolean) {
    let a: Answer;
    try {
      a = der ? await answer(der) : { der: errorResponse('malformedRequest') };
    } catch (err) {
      opts.onError?.(err);
      request.log.error({ err }, 'OCSP: internal error');
      a = { der: errorResponse('internalError') };
    }
    void reply.code(200).header('content-type', RESPONSE_TYPE);
    if (isGet && a.cacheable) {
      const now = Date.now();
      let maxAge = Math.floor((a.cacheable.nextUpdate.getTime() - now) / 1000);
      if (opts.httpMaxAgeS !== undefined) maxAge = Math.min(maxAge, opts.httpMaxAgeS);
      if (maxAge > 0) {
        void reply.header('cache-control', `max-age=${maxAge}, public, no-transform, must-revalidate`);
        void reply.header('last-modified', a.cacheable.thisUpdate.toUTCString());
        void reply.header('expires', a.cacheable.nextUpdate.toUTCString());
        if (a.cacheable.etag) {
          void reply.header('etag', a.cacheable.etag);
          if (request.headers['if-none-match'] === a.cacheable.etag) return reply.code(304).send();
        }
      } else {
        void reply.header('cache-control', 'no-cache, no-store');
      }
    } else {
      void reply.header('cache-control', 'no-cache, no-store');
    }
    return reply.send(Buffer.from(a.der.buffer, a.der.byteOffset, a.der.byteLength));
  }

  function refuse(reply: FastifyReply, code: number, status: OcspErrorStatus = 'malformedRequest') {
    const der = errorResponse(status);
    return reply
      .code(code)
      .header('content-type', RESPONSE_TYPE)
      .header('cache-control', 'no-cache, no-store')
      .send(Buffer.from(der));
  }

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
    // The OCSP routes have their own limits; the API-wide rate limit would throttle relying parties.
    const config = { rateLimit: false };

    const tags = ['pki'];
    const post = {
      tags,
      summary: `Répondeur OCSP (POST, corps ${REQUEST_TYPE})`,
      response: OCSP_RESPONSES,
    };
    const get = {
      tags,
      summary: 'Répondeur OCSP (GET, requête DER en base64 dans le chemin)',
      response: OCSP_RESPONSES,
    };
    scope.post(prefix, { bodyLimit: OCSP_MAX_REQUEST_BYTES, config, schema: post }, async (request, reply) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== REQUEST_TYPE || !Buffer.isBuffer(request.body)) return refuse(reply, 415);
      return respond(request, reply, request.body, false);
    });
    scope.get(`${prefix}/*`, { config, schema: get }, async (request, reply) => {
      return respond(request, reply, parseGetPath(request.url, prefix), true);
    });
  });
  return cache;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
