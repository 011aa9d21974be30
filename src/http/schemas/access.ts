// Access: the portal's configuration, sessions (link, card, TLS), action signatures, roles, service accounts.
import { Type } from '@sinclair/typebox';
import { PERMISSIONS } from '../../domain/roles.ts';
import { Nullable, StringEnum } from './common.ts';

export const Branding = StringEnum(['state', 'neutral'] as const, {
  description: 'Habillage : marque de l’État ou neutre',
});

export const PortalConfig = Type.Object({
  branding: Branding,
  platformName: Type.String(),
  agentUrl: Type.String({ description: 'Adresse par défaut de l’agent de carte du poste' }),
});

export const RoleView = Type.Object({
  id: Type.String(),
  role: Type.String(),
  roleLabel: Type.String(),
  organizationId: Type.String(),
  organizationName: Type.String(),
});

export const Session = Type.Object({
  person: Type.Object({
    id: Type.String(),
    firstNames: Type.String(),
    lastName: Type.String(),
    identifier: Type.String(),
  }),
  roles: Type.Array(RoleView),
  permissions: Type.Array(StringEnum(PERMISSIONS), {
    description: 'Permissions accordées par au moins un rôle (le portail masque ce qui n’est pas offert)',
  }),
  csrfToken: Type.String(),
  branding: Branding,
});

export const SignInLink = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 200 }) },
  { additionalProperties: false },
);

const Base64 = (maxLength: number) => Type.String({ minLength: 4, maxLength, pattern: '^[A-Za-z0-9+/]+={0,2}$' });

export const CardChallenge = Type.Object({
  challengeId: Type.String(),
  challenge: Type.String({ description: '32 octets aléatoires (base64), usage unique' }),
  expiresAt: Type.String(),
  origin: Type.String({ description: 'Origine du portail, que la carte signe avec le défi' }),
});

export const CardSignIn = Type.Object(
  {
    challengeId: Type.String({ minLength: 1, maxLength: 100 }),
    challenge: Type.Optional(Base64(100)),
    certificate: Base64(16_384),
    signature: Base64(2_048),
  },
  { additionalProperties: false },
);

/** Body member carrying the operator's signature of an action (docs/cards.md §3). */
export const ActionSignature = Type.Object(
  {
    nonce: Type.String({ minLength: 10, maxLength: 200 }),
    signature: Type.String({
      minLength: 10,
      maxLength: 16_384,
      description: 'Signature (base64) du texte canonique de l’action',
    }),
    certificate: Type.String({
      minLength: 10,
      maxLength: 16_384,
      description: 'Certificat de signature (DER, base64)',
    }),
  },
  {
    additionalProperties: false,
    description: 'Signature de l’action par la carte de l’opérateur (code PIN de signature)',
  },
);

/** `{ signature }`: the body of an action that carries nothing but the operator's signature. */
export const Signed = Type.Object({ signature: ActionSignature }, { additionalProperties: false });

export const ActionNonce = Type.Object({ nonce: Type.String(), expiresAt: Type.String() });

export const RoleAssignmentInput = Type.Object(
  {
    agentId: Type.String({ maxLength: 64 }),
    role: Type.String({ maxLength: 32 }),
    organizationId: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);

export const RoleAssignment = Type.Object({
  id: Type.String(),
  role: Type.String(),
  roleLabel: Type.String(),
  organizationId: Type.String(),
});

export const ServiceToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  organizationId: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String(),
  revokedAt: Nullable(Type.String()),
});

export const ServiceTokenInput = Type.Object(
  {
    name: Type.String({ maxLength: 100 }),
    organizationId: Type.String({ maxLength: 64 }),
    scopes: Type.Array(Type.String({ maxLength: 32 }), { maxItems: 5 }),
  },
  { additionalProperties: false },
);

export const ServiceTokenCreated = Type.Object({
  id: Type.String(),
  token: Type.String({ description: 'Jeton du compte de service, affiché une seule fois' }),
});
