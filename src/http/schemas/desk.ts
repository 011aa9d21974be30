// The card officer's desk and the holder's space: cards from reception to end of life, hand-over,
// activation, unblock, incidents, renewal, the holder's own cards and secrets.
import { Type } from '@sinclair/typebox';
import { ActionSignature } from './access.ts';
import { CodeLabel, KeysetQuery, Nullable } from './common.ts';

const Optional = (maxLength: number) => Type.Optional(Nullable(Type.String({ maxLength })));
const Challenge = Type.String({ minLength: 8, maxLength: 64, description: 'Défi de la carte (16 octets, base64)' });
const Response = Type.String({ description: 'Réponse au défi de la carte (base64)' });

// --- Cards up to reception -----------------------------------------------------------------------

export const CardSummary = Type.Object({
  id: Type.String(),
  serial: Type.String(),
  state: Type.String(),
  stateLabel: Type.String(),
  modelCode: Type.String(),
  modelLabel: Type.String(),
  holder: Type.Object({
    id: Type.String(),
    identifier: Type.String(),
    lastName: Type.String(),
    firstNames: Type.String(),
    email: Nullable(Type.String()),
  }),
  organizationId: Type.String(),
  organizationName: Type.String(),
  operatorOrganizationId: Type.String(),
  operatorOrganizationName: Type.String(),
  letterState: Nullable(Type.String()),
  letterStateLabel: Nullable(Type.String()),
  producedAt: Nullable(Type.String()),
  shippedAt: Nullable(Type.String()),
  receivedAt: Nullable(Type.String()),
  expiresAt: Nullable(Type.String()),
});

export const CardSearch = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Numéro de carte, nom ou identifiant du porteur' })),
  state: Type.Optional(Type.String({ maxLength: 32 })),
  organizationId: Type.Optional(Type.String({ maxLength: 64 })),
  batchId: Type.Optional(Type.String({ maxLength: 64 })),
  ...KeysetQuery,
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const NameSearch = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  ...KeysetQuery,
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const CardCertificate = Type.Object({
  serial: Type.String(),
  profile: Type.String(),
  profileLabel: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  subjectDn: Type.String(),
  notBefore: Type.String(),
  notAfter: Type.String(),
  sha256: Type.String(),
  caName: Type.String(),
});

export const CardDetail = Type.Object({
  ...CardSummary.properties,
  holder: Type.Object({
    ...CardSummary.properties.holder.properties,
    phone: Nullable(Type.String()),
    unitAddress: Nullable(Type.String()),
  }),
  requestId: Nullable(Type.String()),
  requestNumber: Nullable(Type.String()),
  batchId: Nullable(Type.String()),
  batchNumber: Nullable(Type.String()),
  stateChangedAt: Type.String(),
  createdAt: Type.String(),
  receivedBy: Nullable(Type.String()),
  letter: Type.Object(
    {
      state: Nullable(Type.String()),
      stateLabel: Nullable(Type.String()),
      sentAt: Nullable(Type.String()),
      reference: Nullable(Type.String()),
      codeAvailable: Type.Boolean(),
      codeAttempts: Type.Integer(),
      codeUsedAt: Nullable(Type.String()),
    },
    { description: "Courrier du code d'activation (jamais le code ni son vérificateur)" },
  ),
  certificates: Type.Array(CardCertificate),
  history: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      at: Type.String(),
      action: Type.String(),
      outcome: Type.String(),
      actor: Nullable(Type.String()),
      summary: Type.Unknown(),
    }),
  ),
});

export const CardReceived = Type.Object({ state: Type.String(), mailed: Type.Boolean() });

export const ResendCodeInput = Type.Object(
  { channel: Type.Union([Type.Literal('post'), Type.Literal('email')]), signature: ActionSignature },
  { additionalProperties: false },
);
export const CodeResent = Type.Object({ letterState: Type.String(), messageId: Type.String() });

export const Holder = Type.Object({
  agentId: Type.String(),
  identifier: Type.String(),
  lastName: Type.String(),
  firstNames: Type.String(),
  email: Nullable(Type.String()),
  organizationName: Type.String(),
  cardCount: Type.Integer(),
  latestCard: Nullable(
    Type.Object({ id: Type.String(), serial: Type.String(), state: Type.String(), stateLabel: Type.String() }),
  ),
});

// --- Hand-over -----------------------------------------------------------------------------------

export const HolderInfo = Type.Object({
  lastName: Type.String(),
  firstNames: Type.String(),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  birthDate: Type.String(),
  identifier: Type.String(),
  organizationName: Type.String(),
  organizationKind: Type.String(),
});

export const HandoverView = Type.Object({
  card: Type.Object({
    id: Type.String(),
    serial: Type.String(),
    state: Type.String(),
    stateLabel: Type.String(),
    modelLabel: Type.String(),
  }),
  holder: HolderInfo,
  dn: Nullable(Type.String()),
  identityCopy: Nullable(
    Type.Object({ id: Type.String(), fileName: Type.String(), contentType: Type.String(), uploadedAt: Type.String() }),
  ),
  identityDocumentTypes: Type.Array(CodeLabel),
});

export const IdentityCopyStored = Type.Object({ fileName: Type.String(), sha256: Type.String() });

export const HandoverInput = Type.Object(
  {
    identityDocumentType: Type.String({
      maxLength: 40,
      description: 'passport, national_id_card, residence_permit ou military_id_card',
    }),
    identityDocumentNumber: Type.String({ maxLength: 40 }),
    remarks: Optional(600),
    signature: ActionSignature,
  },
  { additionalProperties: false },
);

export const InvalidationInput = Type.Object(
  { reason: Type.String({ maxLength: 600 }), signature: ActionSignature },
  { additionalProperties: false },
);

/** The card's state after a change. */
export const CardStateChanged = Type.Object({ state: Type.String() });

// --- Activation ----------------------------------------------------------------------------------

export const ActivationCertificate = Type.Object({
  serial: Type.String(),
  profile: Type.String(),
  label: Type.String(),
  rgsLevel: Type.String(),
  notBefore: Type.String(),
  notAfter: Type.String(),
  usages: Type.String(),
  extendedUsages: Type.String(),
  status: Type.String(),
});

export const ActivationView = Type.Object({
  card: Type.Object({
    id: Type.String(),
    serial: Type.String(),
    reference: Type.String(),
    modelLabel: Type.String(),
    type: Type.String(),
    state: Type.String(),
    stateLabel: Type.String(),
  }),
  holder: HolderInfo,
  dn: Nullable(Type.String()),
  certificates: Type.Array(ActivationCertificate),
  attestation: Type.Array(Type.String()),
  codeAttemptsLeft: Type.Integer(),
  codeLocked: Type.Boolean(),
  codeAccepted: Type.Boolean(),
});

export const ActivationCodeInput = Type.Object(
  { code: Type.String({ maxLength: 12 }) },
  { additionalProperties: false },
);
export const ActivationCodeAccepted = Type.Object({
  accepted: Type.Literal(true),
  windowUntil: Type.String({ description: 'Fin de la fenêtre de 15 minutes ouverte par le bon code' }),
});

export const AdminChallengeInput = Type.Object(
  { operation: Type.String({ maxLength: 20 }), challenge: Challenge },
  { additionalProperties: false },
);
export const CardAdminResponse = Type.Object({ response: Response });

export const ActivationContent = Type.Object({
  cardId: Type.String(),
  serial: Type.String(),
  acceptedCertificates: Type.Array(Type.String()),
});

export const ActivationCompleted = Type.Object({ state: Type.String(), message: Type.String() });

// --- Unblock, incidents, end of life -------------------------------------------------------------

export const UnblockInput = Type.Object(
  { operation: Type.String({ maxLength: 20 }), challenge: Challenge, signature: ActionSignature },
  { additionalProperties: false },
);

export const RevocationInput = Type.Object(
  {
    reason: Type.String({
      maxLength: 40,
      description: 'lost, stolen, departure, status_change, damaged, data_error ou refused',
    }),
    comment: Optional(600),
    signature: ActionSignature,
  },
  { additionalProperties: false },
);

export const DestructionInput = Type.Object(
  {
    method: Type.String({ maxLength: 40, description: 'shredder, manufacturer ou incineration' }),
    witness: Optional(200),
    signature: ActionSignature,
  },
  { additionalProperties: false },
);
export const CardDestroyed = Type.Object({ state: Type.String(), recordId: Type.String() });

export const CardDocument = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  kindLabel: Type.String(),
  fileName: Type.String(),
  createdAt: Type.String(),
});

export const DocumentParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  documentId: Type.String({ maxLength: 64 }),
});

// --- Renewal -------------------------------------------------------------------------------------

export const RenewalView = Type.Object({
  cardId: Type.String(),
  serial: Type.String(),
  certificates: Type.Array(
    Type.Object({
      serial: Type.String(),
      profile: Type.String(),
      status: Type.String(),
      notAfter: Type.String(),
      renewable: Type.Boolean(),
      reason: Nullable(Type.String()),
    }),
  ),
  newCardNeeded: Nullable(Type.String({ description: 'Pourquoi une nouvelle carte est nécessaire' })),
});

export const PresenceChallenge = Type.Object({
  challengeId: Type.String(),
  challenge: Type.String(),
  text: Type.String({ description: "Texte que la carte du porteur signe avec sa clé d'authentification" }),
});

export const PresenceInput = Type.Object(
  {
    challengeId: Type.String({ maxLength: 64 }),
    challenge: Type.String({ maxLength: 100 }),
    signature: Type.String({ maxLength: 2048 }),
    certificate: Type.String({ maxLength: 16384 }),
  },
  { additionalProperties: false },
);

export const PresenceBySecretsInput = Type.Object(
  { holderAccess: Type.String({ maxLength: 200 }) },
  { additionalProperties: false },
);

export const PresenceWindow = Type.Object({ windowUntil: Type.String() });

export const RenewalIssueInput = Type.Object(
  {
    profile: Type.String({ maxLength: 8 }),
    spki: Type.String({ maxLength: 2048 }),
    attestation: Type.String({
      maxLength: 100,
      description: 'Attestation de la carte (base64) : la clé a été générée par elle',
    }),
    signature: ActionSignature,
  },
  { additionalProperties: false },
);

export const RenewedCertificate = Type.Object({
  serial: Type.String(),
  der: Type.String({ description: 'Certificat (DER, base64)' }),
  replaced: Type.String({ description: 'Numéro de série du certificat remplacé' }),
});

// --- The holder's record -------------------------------------------------------------------------

export const DepartureReason = Type.Union([Type.Literal('retirement'), Type.Literal('end_of_contract')]);

export const DepartureInput = Type.Object(
  { reason: DepartureReason, signature: ActionSignature },
  { additionalProperties: false },
);

export const DepartureResult = Type.Object({
  revoked: Type.Array(Type.String()),
  kept: Type.Array(Type.String()),
  invalidated: Type.Array(Type.String()),
});

export const TransferInput = Type.Object(
  {
    toOrganizationId: Type.String({ maxLength: 64 }),
    habilitations: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 30 }),
    signature: ActionSignature,
  },
  { additionalProperties: false },
);

export const TransferResult = Type.Object({ followed: Type.Array(Type.String()) });

// --- The holder's space --------------------------------------------------------------------------

export const MyCard = Type.Object({
  id: Type.String(),
  serial: Type.String(),
  modelLabel: Type.String(),
  state: Type.String(),
  stateLabel: Type.String(),
  stateChangedAt: Type.String(),
  expiresAt: Nullable(Type.String()),
  certificates: Type.Array(
    Type.Object({
      serial: Type.String(),
      profile: Type.String(),
      profileLabel: Type.String(),
      status: Type.String(),
      statusLabel: Type.String(),
      notBefore: Type.String(),
      notAfter: Type.String(),
    }),
  ),
  history: Type.Array(Type.Object({ at: Type.String(), action: Type.String() })),
  documents: Type.Array(
    Type.Object({ id: Type.String(), kind: Type.String(), fileName: Type.String(), createdAt: Type.String() }),
  ),
});

export const MyCards = Type.Object({
  holder: Nullable(Type.Object({ lastName: Type.String(), firstNames: Type.String(), birthDate: Type.String() })),
  cards: Type.Array(MyCard),
  secretsDefined: Type.Boolean(),
  secretsUpdatedAt: Nullable(Type.String()),
});

const QuestionAnswers = Type.Array(
  Type.Object(
    { question: Type.String({ maxLength: 60 }), answer: Type.String({ maxLength: 400 }) },
    { additionalProperties: false },
  ),
  { maxItems: 5 },
);

export const SecretsInput = Type.Object(
  { personalCode: Type.String({ maxLength: 200 }), questions: QuestionAnswers },
  { additionalProperties: false },
);

export const SecretsDefined = Type.Object({
  cardsActivated: Type.Array(Type.String()),
  awaitingFinalization: Type.Array(Type.String()),
});

export const DeclarationKind = Type.Union([
  Type.Literal('loss'),
  Type.Literal('theft'),
  Type.Literal('temporary_loss'),
]);

export const Declaration = Type.Object(
  { kind: DeclarationKind, policeReportReference: Optional(80), circumstances: Optional(600) },
  { additionalProperties: false },
);

export const DeclarationRecorded = Type.Object({
  state: Type.String(),
  escalatesAt: Nullable(Type.String({ description: 'Perte temporaire : date où la suspension devient révocation' })),
});

export const HolderIdentification = Type.Object(
  {
    organization: Type.String({ maxLength: 80 }),
    identifier: Type.String({ maxLength: 200 }),
    personalCode: Type.String({ maxLength: 200 }),
    answers: QuestionAnswers,
  },
  { additionalProperties: false },
);

export const HolderAccessOpened = Type.Object({
  token: Type.String({ description: 'À renvoyer dans l’en-tête x-holder-access' }),
  expiresAt: Type.String(),
  holderName: Type.String(),
});

export const HolderAccessCard = Type.Object({
  id: Type.String(),
  serial: Type.String(),
  state: Type.String(),
  stateLabel: Type.String(),
  modelLabel: Type.String(),
});

export const HolderAccessCards = Type.Object({ holderName: Type.String(), items: Type.Array(HolderAccessCard) });

export const HolderUnblockInput = Type.Object(
  {
    serial: Type.String({ maxLength: 20 }),
    operation: Type.String({ maxLength: 20 }),
    challenge: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);
