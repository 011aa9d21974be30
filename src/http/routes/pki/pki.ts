import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import {
  acceptCertificate,
  issueFromCsr,
  listAuthorities,
  listCertificates,
  resumeCertificate,
  revokeCertificate,
  suspendCertificate,
  type CertificateFilter,
  type PkiEnvironment,
} from '../../../app/pki/certificates.ts';
import { caCertificateDer, newestCrl, publishCrl, type OcspSource } from '../../../app/pki/publication.ts';
import { ocspRoutes } from '../../../pki/ocsp-http.ts';
import { requireActor } from '../../auth.ts';
import { sendProblem } from '../../problem.ts';

export interface PkiWiring {
  env: PkiEnvironment;
  ocsp: OcspSource | null;
  /** Only the public endpoints (CA certificates, CRL, OCSP): a stand-alone responder. */
  publicOnly?: boolean;
}

/** Public PKI endpoints (CA certificates, CRLs, OCSP) and the certificate API. */
export function pkiRoutes(app: FastifyInstance, ctx: AppContext, pki: PkiWiring): void {
  app.get(
    '/pki/ca/:file',
    {
      schema: {
        tags: ['pki'],
        summary: "Certificat d'une autorité (DER)",
        params: Type.Object({ file: Type.String({ maxLength: 80 }) }),
      },
    },
    async (req, reply) => {
      const name = /^([a-z0-9-]{1,60})\.(cer|crt|der)$/.exec((req.params as { file: string }).file)?.[1];
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
      schema: {
        tags: ['pki'],
        summary: "Liste de révocation d'une autorité émettrice (DER)",
        params: Type.Object({ file: Type.String({ maxLength: 80 }) }),
      },
    },
    async (req, reply) => {
      const name = /^([a-z0-9-]{1,60})\.crl$/.exec((req.params as { file: string }).file)?.[1];
      if (!name) return sendProblem(reply, 404, 'Liste de révocation inconnue.');
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

  if (pki.ocsp) {
    const source = pki.ocsp;
    ocspRoutes(app, {
      lookup: (h, s) => source.lookup(h, s),
      responderFor: (h, a) => source.responderFor(h, a),
      cache: source.cache,
      // responderFor is an in-memory lookup: no memo, so a reloaded (renewed) responder signs at once.
      authorityCacheMs: 0,
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
      scope.all('/pki/ocsp*', async (_req, reply) =>
        sendProblem(
          reply,
          503,
          "Le répondeur OCSP n'est pas disponible : l'infrastructure de clés n'est pas initialisée (cartes ca init), puis redémarrez le service.",
        ),
      );
    });
  }

  if (pki.publicOnly) return;
  const tags = ['certificats'];
  app.get('/api/pki/authorities', { schema: { tags, summary: 'Autorités de certification' } }, async (req) => ({
    items: await listAuthorities(ctx, requireActor(req)),
  }));

  app.get(
    '/api/certificates',
    {
      schema: {
        tags,
        summary: 'Certificats du périmètre',
        querystring: Type.Object({
          agentId: Type.Optional(Type.String({ maxLength: 64 })),
          status: Type.Optional(Type.String({ maxLength: 16 })),
          caName: Type.Optional(Type.String({ maxLength: 60 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
      },
    },
    async (req) => ({ items: await listCertificates(ctx, requireActor(req), req.query as CertificateFilter) }),
  );

  app.post(
    '/api/certificates',
    {
      bodyLimit: 64 * 1024,
      schema: {
        tags,
        summary: "Émettre un certificat à partir d'une demande PKCS#10 (PEM)",
        body: Type.Object(
          {
            csr: Type.String({ maxLength: 32768 }),
            profile: Type.String({ maxLength: 8 }),
            agentIdentifier: Type.String({ maxLength: 64 }),
            caName: Type.Optional(Type.String({ maxLength: 60 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const b = req.body as { csr: string; profile: string; agentIdentifier: string; caName?: string };
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

  const Serial = Type.Object({ serial: Type.String({ maxLength: 64 }) });
  // The change is committed when the use case returns: drop this process's cached OCSP answers now
  // (other responders notice within their polling interval).
  const synced = async <T>(work: Promise<T>): Promise<T> => {
    const r = await work;
    await pki.ocsp?.sync();
    return r;
  };
  app.post(
    '/api/certificates/:serial/accept',
    { schema: { tags, summary: 'Acceptation par le porteur', params: Serial } },
    async (req) => acceptCertificate(ctx, requireActor(req), (req.params as { serial: string }).serial),
  );
  app.post(
    '/api/certificates/:serial/suspend',
    { schema: { tags, summary: 'Suspendre (certificateHold)', params: Serial } },
    async (req) => synced(suspendCertificate(ctx, requireActor(req), (req.params as { serial: string }).serial)),
  );
  app.post(
    '/api/certificates/:serial/resume',
    { schema: { tags, summary: 'Lever la suspension', params: Serial } },
    async (req) => synced(resumeCertificate(ctx, requireActor(req), (req.params as { serial: string }).serial)),
  );
  app.post(
    '/api/certificates/:serial/revoke',
    {
      schema: {
        tags,
        summary: 'Révoquer (définitif)',
        params: Serial,
        body: Type.Object({ reason: Type.String({ maxLength: 32 }) }, { additionalProperties: false }),
      },
    },
    async (req) =>
      synced(
        revokeCertificate(
          ctx,
          requireActor(req),
          (req.params as { serial: string }).serial,
          (req.body as { reason: string }).reason,
        ),
      ),
  );
}
