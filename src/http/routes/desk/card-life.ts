import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
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
import { requireActor } from '../../auth.ts';
import { binary, IdParams as Id, Items, NoContent, responses } from '../../schemas/common.ts';
import { Signed } from '../../schemas/access.ts';
import {
  ActivationCodeAccepted,
  ActivationCodeInput,
  ActivationCompleted,
  ActivationContent,
  ActivationView,
  AdminChallengeInput,
  CardAdminResponse,
  CardDestroyed,
  CardDocument,
  CardStateChanged,
  DepartureInput,
  DepartureResult,
  DestructionInput,
  DocumentParams,
  HandoverInput,
  HandoverView,
  IdentityCopyStored,
  InvalidationInput,
  PresenceBySecretsInput,
  PresenceChallenge,
  PresenceInput,
  PresenceWindow,
  RenewalIssueInput,
  RenewalView,
  RenewedCertificate,
  RevocationInput,
  TransferInput,
  TransferResult,
  UnblockInput,
} from '../../schemas/desk.ts';

// The card officer's desk after reception (issue "hand-over, activation…"): hand-over, activation,
// finalisation, unblock, incidents, end of life, renewal. Thin: every rule lives in src/app.

const tags = ['cartes'];
const id = (r: { params: { id: string } }) => r.params.id;
const body = <T>(r: { body: T }) => r.body;

export function cardLifeRoutes(fastify: FastifyInstance, ctx: AppContext, pki: PkiEnvironment): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // --- Hand-over -------------------------------------------------------------------------------
  app.get(
    '/api/cards/:id/handover',
    {
      schema: {
        tags,
        summary: 'Remise en main propre : données du porteur et de la carte',
        params: Id,
        response: responses({ 200: HandoverView }),
      },
    },
    async (r) => handoverView(ctx, requireActor(r), id(r)),
  );

  void app.register(async (scope) => {
    // The certified copy arrives as the raw file (PDF, JPEG or PNG), 5 Mo at most.
    for (const type of ['application/pdf', 'image/png'])
      scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: IDENTITY_COPY_MAX_BYTES }, (_q, b, done) =>
        done(null, b),
      );
    scope.withTypeProvider<TypeBoxTypeProvider>().put(
      '/api/cards/:id/identity-copy',
      {
        bodyLimit: IDENTITY_COPY_MAX_BYTES,
        schema: {
          tags,
          summary: 'Joindre la copie certifiée conforme de la pièce d’identité (PDF, JPEG ou PNG, 5 Mo au plus)',
          params: Id,
          querystring: Type.Object({ fileName: Type.Optional(Type.String({ maxLength: 200 })) }),
          response: responses({ 200: IdentityCopyStored }),
        },
      },
      async (r) => {
        const bytes = Buffer.isBuffer(r.body) ? r.body : Buffer.alloc(0);
        return uploadIdentityCopy(ctx, requireActor(r), id(r), {
          fileName: r.query.fileName ?? 'piece-identite',
          contentType: String(r.headers['content-type'] ?? '')
            .split(';')[0]!
            .trim(),
          bytes,
        });
      },
    );
  });

  app.post(
    '/api/cards/:id/handover',
    {
      schema: {
        tags,
        summary:
          'Confirmer la remise en main propre (signature par la carte de l’opérateur, code PIN d’authentification)',
        params: Id,
        body: HandoverInput,
        response: responses({ 200: CardStateChanged }),
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
        body: InvalidationInput,
        response: responses({ 200: CardStateChanged }),
      },
    },
    async (r) => invalidateCard(ctx, requireActor(r), id(r), body(r)),
  );

  // --- Activation ------------------------------------------------------------------------------
  app.get(
    '/api/cards/:id/activation',
    {
      schema: {
        tags,
        summary: 'Activation d’un support : porteur, certificats, attestation',
        params: Id,
        response: responses({ 200: ActivationView }),
      },
    },
    async (r) => activationView(ctx, requireActor(r), id(r)),
  );
  app.get(
    '/api/cards/:id/attestation.pdf',
    {
      schema: {
        tags,
        summary: 'Attestation de remise (PDF)',
        params: Id,
        response: responses({ 200: binary('Attestation de remise (PDF)', 'application/pdf') }),
      },
    },
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
      schema: {
        tags,
        summary: 'Le porteur refuse l’ensemble des certificats (révocation)',
        params: Id,
        body: Signed,
        response: responses({ 200: CardStateChanged }),
      },
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
        body: ActivationCodeInput,
        response: responses({ 200: ActivationCodeAccepted }),
      },
    },
    async (r) => submitActivationCode(ctx, requireActor(r), id(r), r.body.code),
  );
  app.post(
    '/api/cards/:id/activation/admin-response',
    {
      schema: {
        tags,
        summary: 'Réponse au défi de la carte pour définir un code PIN (après le code d’activation)',
        params: Id,
        body: AdminChallengeInput,
        response: responses({ 200: CardAdminResponse }),
      },
    },
    async (r) => activationAdminResponse(ctx, requireActor(r), id(r), body(r)),
  );
  app.get(
    '/api/cards/:id/activation/content',
    {
      schema: {
        tags,
        summary: 'Contenu que l’opérateur contresigne',
        params: Id,
        response: responses({ 200: ActivationContent }),
      },
    },
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
        response: responses({ 200: ActivationCompleted }),
      },
    },
    async (r) => completeActivation(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/finalize',
    {
      schema: {
        tags,
        summary: 'Finalisation de l’activation (paraphe de l’attestation)',
        params: Id,
        body: Signed,
        response: responses({ 200: CardStateChanged }),
      },
    },
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
        body: UnblockInput,
        response: responses({ 200: CardAdminResponse }),
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
        body: RevocationInput,
        response: responses({ 200: CardStateChanged }),
      },
    },
    async (r) => revokeCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/resume',
    {
      schema: {
        tags,
        summary: 'Lever la suspension d’une carte retrouvée',
        params: Id,
        body: Signed,
        response: responses({ 200: CardStateChanged }),
      },
    },
    async (r) => resumeCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/return',
    {
      schema: {
        tags,
        summary: 'Enregistrer la restitution de la carte',
        params: Id,
        body: Signed,
        response: responses({ 200: CardStateChanged }),
      },
    },
    async (r) => returnCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.post(
    '/api/cards/:id/destroy',
    {
      schema: {
        tags,
        summary: 'Détruire la carte (procès-verbal de destruction)',
        params: Id,
        body: DestructionInput,
        response: responses({ 200: CardDestroyed }),
      },
    },
    async (r) => destroyCard(ctx, requireActor(r), id(r), body(r)),
  );
  app.get(
    '/api/cards/:id/documents',
    {
      schema: {
        tags,
        summary: 'Téléchargement de documents : pièces du dossier de la carte',
        params: Id,
        response: responses({ 200: Items(CardDocument) }),
      },
    },
    async (r) => cardDocuments(ctx, requireActor(r), id(r)),
  );
  app.get(
    '/api/cards/:id/documents/:documentId',
    {
      schema: {
        tags,
        summary: 'Pièce du dossier de la carte (copie d’identité, procès-verbal…)',
        params: DocumentParams,
        response: responses({
          200: binary('La pièce telle que déposée ou produite', 'application/pdf', 'image/jpeg', 'image/png'),
        }),
      },
    },
    async (r, reply) => {
      const doc = await cardDocument(ctx, requireActor(r), id(r), r.params.documentId);
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
    {
      schema: {
        tags,
        summary: 'Renouvellement de certificat(s) : ce qui est renouvelable',
        params: Id,
        response: responses({ 200: RenewalView }),
      },
    },
    async (r) => renewalView(ctx, requireActor(r), id(r)),
  );
  app.post(
    '/api/cards/:id/renewal/presence-challenge',
    {
      schema: {
        tags,
        summary: 'Défi que la carte du porteur signe (code PIN Global)',
        params: Id,
        response: responses({ 200: PresenceChallenge }),
      },
    },
    async (r) => renewalPresenceChallenge(ctx, requireActor(r), id(r)),
  );
  app.post(
    '/api/cards/:id/renewal/presence',
    {
      schema: {
        tags,
        summary: 'Preuve de présence du porteur',
        params: Id,
        body: PresenceInput,
        response: responses({ 200: PresenceWindow }),
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
        body: PresenceBySecretsInput,
        response: responses({ 200: PresenceWindow }),
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
        body: AdminChallengeInput,
        response: responses({ 200: CardAdminResponse }),
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
        body: RenewalIssueInput,
        response: responses({ 200: RenewedCertificate }),
      },
    },
    async (r) => renewCertificate(ctx, requireActor(r), pki, id(r), body(r)),
  );

  // --- The holder's record: secrets reset, departure, transfer ----------------------------------
  app.post(
    '/api/agents/:id/reset-secrets',
    {
      schema: {
        tags,
        summary: 'Réinitialisation des questions secrètes',
        params: Id,
        body: Signed,
        response: responses({ 204: NoContent }),
      },
    },
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
        body: DepartureInput,
        response: responses({ 200: DepartureResult }),
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
        body: TransferInput,
        response: responses({ 200: TransferResult }),
      },
    },
    async (r) => transferAgent(ctx, requireActor(r), id(r), body(r)),
  );
}
