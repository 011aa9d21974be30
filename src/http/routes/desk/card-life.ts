import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.ts';
import type { PkiEnvironment } from '../../../app/pki/certificates.ts';
import {
  handOverCard,
  handoverView,
  IDENTITY_COPY_MAX_BYTES,
  invalidateCard,
  uploadIdentityCopy,
} from '../../../app/desk/handover.ts';
import {
  activationAdminResponse,
  activationAttestationPdf,
  activationContent,
  activationView,
  completeActivation,
  finalizeActivation,
  refuseCertificates,
  submitActivationCode,
} from '../../../app/desk/activation.ts';
import {
  destroyCard,
  recordDeparture,
  resumeCard,
  returnCard,
  revokeCard,
  transferAgent,
} from '../../../app/desk/card-incidents.ts';
import { operatorUnblockResponse, resetSecretQuestions } from '../../../app/access/holder-access.ts';
import {
  proveHolderPresence,
  proveHolderPresenceBySecrets,
  renewalAdminResponse,
  renewalPresenceChallenge,
  renewalView,
  renewCertificate,
} from '../../../app/desk/renewal.ts';
import { cardDocument, cardDocuments } from '../../../app/desk/card-documents.ts';
import type { ActionSignature } from '../../../app/access/action-signatures.ts';
import { requireActor } from '../../auth.ts';
import { spoolUpload, type UploadSettings } from '../../uploads.ts';
import { ActionSignatureSchema } from '../access/signatures.ts';

// The card officer's desk after reception (issue "hand-over, activation…"): hand-over, activation,
// finalisation, unblock, incidents, end of life, renewal. Thin: every rule lives in src/app.

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Signed = Type.Object({ signature: ActionSignatureSchema }, { additionalProperties: false });
const Challenge = Type.String({ minLength: 8, maxLength: 64, description: 'Défi de la carte (16 octets, base64)' });
const tags = ['cartes'];
type Params = { id: string };
const id = (r: FastifyRequest) => (r.params as Params).id;
const body = <T>(r: FastifyRequest) => r.body as T;

export function cardLifeRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  pki: PkiEnvironment,
  uploads: UploadSettings,
): void {
  // --- Hand-over -------------------------------------------------------------------------------
  app.get(
    '/api/cards/:id/handover',
    { schema: { tags, summary: 'Remise en main propre : données du porteur et de la carte', params: Id } },
    async (r) => handoverView(ctx, requireActor(r), id(r)),
  );

  // The certified copy arrives as the raw file (PDF, JPEG or PNG), 5 Mo at most.
  app.put(
    '/api/cards/:id/identity-copy',
    {
      schema: {
        tags,
        summary: 'Joindre la copie certifiée conforme de la pièce d’identité (PDF, JPEG ou PNG, 5 Mo au plus)',
        params: Id,
        querystring: Type.Object({ fileName: Type.Optional(Type.String({ maxLength: 200 })) }),
      },
    },
    async (r) => {
      const actor = requireActor(r);
      const upload = await spoolUpload(r, uploads, IDENTITY_COPY_MAX_BYTES, 'le fichier');
      try {
        return await uploadIdentityCopy(ctx, actor, id(r), {
          fileName: (r.query as { fileName?: string }).fileName ?? 'piece-identite',
          contentType: String(r.headers['content-type'] ?? '')
            .split(';')[0]!
            .trim(),
          bytes: await upload.read(),
        });
      } finally {
        await upload.dispose();
      }
    },
  );

  app.post(
    '/api/cards/:id/handover',
    {
      schema: {
        tags,
        summary:
          'Confirmer la remise en main propre (signature par la carte de l’opérateur, code PIN d’authentification)',
        params: Id,
        body: Type.Object(
          {
            identityDocumentType: Type.String({ maxLength: 40 }),
            identityDocumentNumber: Type.String({ maxLength: 40 }),
            remarks: Type.Optional(Type.Union([Type.String({ maxLength: 600 }), Type.Null()])),
            signature: ActionSignatureSchema,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => handOverCard(ctx, requireActor(r), id(r), body(r)),
  );

  app.post(
    '/api/cards/:id/invalidate',
    {
      schema: {
        tags,
        summary: 'Invalider une carte aux données erronées (non remise, à détruire)',
        params: Id,
        body: Type.Object(
          { reason: Type.String({ maxLength: 600 }), signature: ActionSignatureSchema },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => invalidateCard(ctx, requireActor(r), id(r), body(r)),
  );

  // --- Activation ------------------------------------------------------------------------------
  app.get(
    '/api/cards/:id/activation',
    { schema: { tags, summary: 'Activation d’un support : porteur, certificats, attestation', params: Id } },
    async (r) => activationView(ctx, requireActor(r), id(r)),
  );
  app.get(
    '/api/cards/:id/attestation.pdf',
    { schema: { tags, summary: 'Attestation de remise (PDF)', params: Id } },
    async (r, reply) => {
      const pdf = await activationAttestationPdf(ctx, requireActor(r), id(r));
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="attestation-remise-${id(r).slice(0, 36)}.pdf"`)
        .send(Buffer.from(pdf));
    },
  );
  app.post(
    '/api/cards/:id/activation/refuse',
    {
      schema: { tags, summary: 'Le porteur refuse l’ensemble des certificats (révocation)', params: Id, body: Signed },
    },
    async (r) => refuseCertificates(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/activation/code',
    {
      config: { rateLimit: { max: 20, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: 'Saisir le code d’activation du courrier (essais limités)',
        params: Id,
        body: Type.Object({ code: Type.String({ maxLength: 12 }) }, { additionalProperties: false }),
      },
    },
    async (r) => submitActivationCode(ctx, requireActor(r), id(r), body<{ code: string }>(r).code),
  );
  app.post(
    '/api/cards/:id/activation/admin-response',
    {
      schema: {
        tags,
        summary: 'Réponse au défi de la carte pour définir un code PIN (après le code d’activation)',
        params: Id,
        body: Type.Object(
          { operation: Type.String({ maxLength: 20 }), challenge: Challenge },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => activationAdminResponse(ctx, requireActor(r), id(r), body(r)),
  );
  app.get(
    '/api/cards/:id/activation/content',
    { schema: { tags, summary: 'Contenu que l’opérateur contresigne', params: Id } },
    async (r) => {
      await activationView(ctx, requireActor(r), id(r));
      return activationContent(ctx, id(r));
    },
  );
  app.post(
    '/api/cards/:id/activation/complete',
    {
      schema: {
        tags,
        summary: 'Contre-signature de l’activation par l’opérateur (code PIN de signature)',
        params: Id,
        body: Signed,
      },
    },
    async (r) => completeActivation(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/finalize',
    { schema: { tags, summary: 'Finalisation de l’activation (paraphe de l’attestation)', params: Id, body: Signed } },
    async (r) => finalizeActivation(ctx, requireActor(r), id(r), body(r)),
  );

  // --- Unblock, incidents, end of life ---------------------------------------------------------
  app.post(
    '/api/cards/:id/unblock-response',
    {
      schema: {
        tags,
        summary: 'Déblocage hors ligne : réponse au défi de la carte pour réinitialiser un code PIN',
        params: Id,
        body: Type.Object(
          { operation: Type.String({ maxLength: 20 }), challenge: Challenge, signature: ActionSignatureSchema },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => operatorUnblockResponse(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Révocation de support hors-ligne',
        params: Id,
        body: Type.Object(
          {
            reason: Type.String({ maxLength: 40 }),
            comment: Type.Optional(Type.Union([Type.String({ maxLength: 600 }), Type.Null()])),
            signature: ActionSignatureSchema,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => revokeCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/resume',
    { schema: { tags, summary: 'Lever la suspension d’une carte retrouvée', params: Id, body: Signed } },
    async (r) => resumeCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/return',
    { schema: { tags, summary: 'Enregistrer la restitution de la carte', params: Id, body: Signed } },
    async (r) => returnCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/destroy',
    {
      schema: {
        tags,
        summary: 'Détruire la carte (procès-verbal de destruction)',
        params: Id,
        body: Type.Object(
          {
            method: Type.String({ maxLength: 40 }),
            witness: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
            signature: ActionSignatureSchema,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => destroyCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.get(
    '/api/cards/:id/documents',
    { schema: { tags, summary: 'Téléchargement de documents : pièces du dossier de la carte', params: Id } },
    async (r) => cardDocuments(ctx, requireActor(r), id(r)),
  );
  app.get(
    '/api/cards/:id/documents/:documentId',
    {
      schema: {
        tags,
        summary: 'Pièce du dossier de la carte (copie d’identité, procès-verbal…)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), documentId: Type.String({ maxLength: 64 }) }),
      },
    },
    async (r, reply) => {
      const doc = await cardDocument(ctx, requireActor(r), id(r), (r.params as { documentId: string }).documentId);
      // ASCII fallback plus the exact name (RFC 6266): any character of a French file name is fine.
      const ascii =
        doc.fileName
          .normalize('NFD')
          .replace(/[^\x20-\x7e]/g, '')
          .replace(/["\\]/g, '') || 'document';
      return reply
        .type(doc.contentType)
        .header(
          'content-disposition',
          `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(doc.fileName)}`,
        )
        .send(Buffer.from(doc.bytes));
    },
  );

  // --- Renewal ----------------------------------------------------------------------------------
  app.get(
    '/api/cards/:id/renewal',
    { schema: { tags, summary: 'Renouvellement de certificat(s) : ce qui est renouvelable', params: Id } },
    async (r) => renewalView(ctx, requireActor(r), id(r)),
  );
  app.post(
    '/api/cards/:id/renewal/presence-challenge',
    { schema: { tags, summary: 'Défi que la carte du porteur signe (code PIN Global)', params: Id } },
    async (r) => renewalPresenceChallenge(ctx, requireActor(r), id(r)),
  );
  app.post(
    '/api/cards/:id/renewal/presence',
    {
      schema: {
        tags,
        summary: 'Preuve de présence du porteur',
        params: Id,
        body: Type.Object(
          {
            challengeId: Type.String({ maxLength: 64 }),
            challenge: Type.String({ maxLength: 100 }),
            signature: Type.String({ maxLength: 2048 }),
            certificate: Type.String({ maxLength: 16384 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => proveHolderPresence(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/renewal/presence-secrets',
    {
      schema: {
        tags,
        summary: 'Preuve de présence du porteur qui a oublié son code PIN : accès ouvert par ses secrets',
        params: Id,
        body: Type.Object({ holderAccess: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
      },
    },
    async (r) => proveHolderPresenceBySecrets(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/renewal/admin-response',
    {
      schema: {
        tags,
        summary: 'Réponse au défi de la carte (nouvelle clé, écriture du certificat)',
        params: Id,
        body: Type.Object(
          { operation: Type.String({ maxLength: 20 }), challenge: Challenge },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => renewalAdminResponse(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/renewal/issue',
    {
      schema: {
        tags,
        summary: 'Émettre le certificat renouvelé pour la clé générée par la carte',
        params: Id,
        body: Type.Object(
          {
            profile: Type.String({ maxLength: 8 }),
            spki: Type.String({ maxLength: 2048 }),
            attestation: Type.String({
              maxLength: 100,
              description: 'Attestation de la carte (base64) : la clé a été générée par elle',
            }),
            signature: ActionSignatureSchema,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) =>
      renewCertificate(
        ctx,
        requireActor(r),
        pki,
        id(r),
        body<{ profile: string; spki: string; attestation: string; signature: ActionSignature }>(r),
      ),
  );

  // --- The holder's record: secrets reset, departure, transfer ----------------------------------
  app.post(
    '/api/agents/:id/reset-secrets',
    { schema: { tags, summary: 'Réinitialisation des questions secrètes', params: Id, body: Signed } },
    async (r, reply) => {
      await resetSecretQuestions(ctx, requireActor(r), id(r), body(r));
      return reply.code(204).send();
    },
  );
  app.post(
    '/api/agents/:id/departure',
    {
      schema: {
        tags,
        summary: 'Départ (retraite, fin de contrat) : révocation des cartes, sauf officiers généraux de 2e section',
        params: Id,
        body: Type.Object(
          {
            reason: Type.Union([Type.Literal('retirement'), Type.Literal('end_of_contract')]),
            signature: ActionSignatureSchema,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => recordDeparture(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/agents/:id/transfer',
    {
      schema: {
        tags,
        summary: 'Mutation dans le ministère : la carte est conservée',
        params: Id,
        body: Type.Object(
          {
            toOrganizationId: Type.String({ maxLength: 64 }),
            habilitations: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 30 }),
            signature: ActionSignatureSchema,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (r) => transferAgent(ctx, requireActor(r), id(r), body(r)),
  );
}
