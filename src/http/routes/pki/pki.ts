import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../../app/context.ts';
import { issueFromCsr, listAuthorities, listCertificates, type PkiEnvironment } from '../../../app/pki/certificates.ts';
import { changeCertificateStatus } from '../../../app/desk/certificate-status.ts';
import { caCertificateDer, newestCrl, publishCrl } from '../../../app/pki/publication.ts';
import type { OcspSource } from '../../../app/pki/ocsp-responder.ts';
import { OCSP_RESPONSES, ocspRoutes, type OcspResponder } from '../../../pki/ocsp-http.ts';
import { isRootName, offlineCrlDer } from '../../../app/pki/root-crl.ts';
import { requireActor } from '../../auth.ts';
import { sendProblem } from '../../problem.ts';
import { binary, Items, responses } from '../../schemas/common.ts';
import {
  Authority,
  Certificate,
  CertificateQuery,
  CertificateChanged,
  CertificateChangeInput,
  CertificateRevocation,
  CsrInput,
  IssuedCertificate,
  SerialParams,
} from '../../schemas/pki.ts';

export interface PkiWiring {
  env: PkiEnvironment;
  ocsp: OcspSource | null;
  /** Only the public endpoints (CA certificates, CRL, OCSP): a stand-alone responder. */
  publicOnly?: boolean;
  /** One OCSP answer in this many is logged at info (0: none). */
  logSampleEvery?: number;
  /** CA certificate and CRL downloads a minute per address (against abuse only). Default 6,000. */
  rateLimitPerMinute?: number;
}

/** Deadline of the publication routes (a CRL of a million entries is read in about a second). */
const PKI_TIMEOUT_MS = 10_000;

/** Public PKI endpoints (CA certificates, CRLs, OCSP) and the certificate API; returns the OCSP responder, if any. */
export function pkiRoutes(fastify: FastifyInstance, ctx: AppContext, pki: PkiWiring): OcspResponder | null {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const File = Type.Object({ file: Type.String({ maxLength: 80 }) });
  // Relying parties download these without a session: a limit per address against abuse only,
  // checked before anything else; per-request logs at warn (publication is the hot path).
  const publication = {
    logLevel: 'warn' as const,
    config: {
      timeoutMs: PKI_TIMEOUT_MS,
      rateLimit: {
        max: pki.rateLimitPerMinute ?? 6000,
        timeWindow: '1 minute',
        hook: 'onRequest' as const,
        keyGenerator: (req: FastifyRequest) => req.ip,
      },
    },
  };
  app.get(
    '/pki/ca/:file',
    {
      ...publication,
      schema: {
        tags: ['pki'],
        summary: "Certificat d'une autorité (DER)",
        params: File,
        response: responses({ 200: binary('Certificat X.509 (DER)', 'application/pkix-cert') }),
      },
    },
    async (req, reply) => {
      const name = /^([a-z0-9-]{1,60})\.(cer|crt|der)$/.exec(req.params.file)?.[1];
      const der = name ? await caCertificateDer(ctx, name) : null;
      if (!der) return sendProblem(reply, 404, 'Autorité de certification inconnue.');
      return reply
        .type('application/pkix-cert')
        .header('cache-control', 'public, max-age=86400')
        .send(Buffer.from(der));
    },
  );

  app.get(
    '/pki/crl/:file',
    {
      ...publication,
      schema: {
        tags: ['pki'],
        summary: "Liste de révocation d'une autorité (DER) : AC émettrice, ou AC racine (root.crl)",
        params: File,
        response: responses({ 200: binary('Liste de révocation X.509 (DER)', 'application/pkix-crl') }),
      },
    },
    async (req, reply) => {
      const name = /^([a-z0-9-]{1,60})\.crl$/.exec(req.params.file)?.[1];
      if (!name) return sendProblem(reply, 404, 'Liste de révocation inconnue.');
      // The root's CRL is signed at a ceremony (root-crl.ts) and served from the database.
      const offline = await offlineCrlDer(ctx, name);
      if (offline)
        return reply
          .type('application/pkix-crl')
          .header('cache-control', 'public, max-age=3600, must-revalidate')
          .send(Buffer.from(offline));
      if (await isRootName(ctx, name))
        return sendProblem(
          reply,
          404,
          "La liste de révocation de l'AC racine n'a pas encore été signée : cérémonie « cartes ca root-crl ».",
        );
      // The newest CRL published in the database: every instance serves the same one.
      let crl = await newestCrl(ctx, name);
      if (!crl) {
        // Never published yet: publish now (it is also republished at each revocation and hourly).
        await publishCrl(ctx, pki.env, name);
        crl = await newestCrl(ctx, name);
        if (!crl) return sendProblem(reply, 404, 'Liste de révocation inconnue.');
      }
      const etag = `"${crl.sha256}"`;
      void reply
        .header('cache-control', 'public, max-age=300, must-revalidate')
        .header('etag', etag)
        .header('last-modified', new Date(crl.thisUpdate).toUTCString());
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply
        .type('application/pkix-crl')
        .header('content-length', String(crl.size))
        .send(Readable.from(crl.stream()));
    },
  );

  let responder: OcspResponder | null = null;
  if (pki.ocsp) {
    const source = pki.ocsp;
    responder = ocspRoutes(app, {
      lookup: (h, s) => source.lookup(h, s),
      responderFor: (h, a) => source.responderFor(h, a),
      presigned: (a, s) => source.presigned(a, s),
      cache: source.cache,
      pool: source.pool,
      nonce: source.settings.nonce,
      validityS: source.settings.validityS,
      // responderFor is an in-memory lookup: no memo, so a reloaded (renewed) responder signs at once.
      authorityCacheMs: 0,
      logSampleEvery: pki.logSampleEvery ?? 0,
      onError: (err) => app.log.error({ err }, 'OCSP'),
    });
  } else {
    void app.register(async (scope) => {
      // Accept OCSP bodies here too, so that the client learns why rather than "unsupported type".
      scope.addContentTypeParser(
        'application/ocsp-request',
        { parseAs: 'buffer', bodyLimit: 16 * 1024 },
        (_req, body, done) => done(null, body),
      );
      // The responder's own paths (src/pki/ocsp-http.ts), answering 503 until there is a CA.
      const tags = ['pki'];
      const summary = "Répondeur OCSP (503 tant que l'infrastructure de clés n'est pas initialisée)";
      const answers = responses({ 200: OCSP_RESPONSES[200] });
      const unavailable = async (_req: unknown, reply: FastifyReply) =>
        sendProblem(
          reply,
          503,
          "Le répondeur OCSP n'est pas disponible : l'infrastructure de clés n'est pas initialisée (cartes ca init), puis redémarrez le service.",
        );
      scope.post('/pki/ocsp', { schema: { tags, summary, response: answers } }, unavailable);
      scope.post('/pki/ocsp/', { schema: { tags, summary, response: answers } }, unavailable);
      scope.get('/pki/ocsp', { schema: { tags, summary, response: answers } }, unavailable);
      scope.get('/pki/ocsp/*', { schema: { tags, summary, response: answers } }, unavailable);
    });
  }

  if (pki.publicOnly) return responder;
  const tags = ['certificats'];
  app.get(
    '/api/pki/authorities',
    { schema: { tags, summary: 'Autorités de certification', response: responses({ 200: Items(Authority) }) } },
    async (req) => ({ items: await listAuthorities(ctx, requireActor(req)) }),
  );

  app.get(
    '/api/certificates',
    {
      schema: {
        tags,
        summary: 'Certificats du périmètre',
        querystring: CertificateQuery,
        response: responses({ 200: Items(Certificate) }),
      },
    },
    async (req) => ({ items: await listCertificates(ctx, requireActor(req), req.query) }),
  );

  app.post(
    '/api/certificates',
    {
      bodyLimit: 64 * 1024,
      schema: {
        tags,
        summary: "Émettre un certificat à partir d'une demande PKCS#10 (PEM)",
        body: CsrInput,
        response: responses({ 201: IssuedCertificate }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const issued = await issueFromCsr(ctx, requireActor(req), pki.env, {
        csr: b.csr,
        profile: b.profile,
        agentIdentifier: b.agentIdentifier,
        ...(b.caName ? { caName: b.caName } : {}),
      });
      return reply.code(201).send({
        serial: issued.serial,
        profile: issued.profile,
        caName: issued.caName,
        subjectDn: issued.subjectDn,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        sha256: issued.sha256,
        pem: issued.pem,
      });
    },
  );

  // The change is committed when the use case returns: sign its OCSP answer now, for every responder
  // (the others drop their copy when they read the change log, within their polling interval).
  const synced = async <T>(work: Promise<T>): Promise<T> => {
    const r = await work;
    await pki.ocsp?.sync();
    return r;
  };
  // A card's certificate follows its card (desk/certificate-status.ts); every change is signed.
  const change = (verb: 'accept' | 'suspend' | 'resume', summary: string) =>
    app.post(
      `/api/certificates/:serial/${verb}`,
      {
        schema: {
          tags,
          summary,
          params: SerialParams,
          body: CertificateChangeInput,
          response: responses({ 200: CertificateChanged }),
        },
      },
      async (req) =>
        synced(changeCertificateStatus(ctx, requireActor(req), req.params.serial, { kind: verb }, req.body.signature)),
    );
  change('accept', 'Acceptation par le porteur (carte activée ; signée par l’opérateur)');
  change('suspend', 'Suspendre (certificateHold) : la carte et tous ses certificats ; signée par l’opérateur');
  change('resume', 'Lever la suspension : la carte et tous ses certificats ; signée par l’opérateur');
  app.post(
    '/api/certificates/:serial/revoke',
    {
      schema: {
        tags,
        summary: 'Révoquer (définitif) : la carte et tous ses certificats ; signée par l’opérateur',
        params: SerialParams,
        body: CertificateRevocation,
        response: responses({ 200: CertificateChanged }),
      },
    },
    async (req) =>
      synced(
        changeCertificateStatus(
          ctx,
          requireActor(req),
          req.params.serial,
          { kind: 'revoke', reason: req.body.reason },
          req.body.signature,
        ),
      ),
  );
  return responder;
}
