// The workstation card agent's local API (src/agent/server.ts, docs/cards.md §2). Not the platform's API,
// but the portal talks to it too (web/src/cardAgent.ts, web/src/lifeApi.ts), so its shapes live here.
import { Type, type TSchema } from '@sinclair/typebox';
import { CARD_SLOTS, PIN_KINDS } from '../../cards/card.ts';
import { Nullable, StringEnum } from './common.ts';

const Slot = StringEnum(CARD_SLOTS);
const Pin = StringEnum(PIN_KINDS);
const B64 = '^[A-Za-z0-9+/_-]*={0,2}$';
/** Largest block of data the agent signs. */
export const MAX_SIGN_BYTES = 64 * 1024;

/** The agent's errors: `{ code, message, triesLeft? }` (src/agent/errors.ts), never problem+json. */
export const AgentError = Type.Object({
  code: Type.String(),
  message: Type.String({ description: 'Phrase en français à afficher' }),
  triesLeft: Type.Optional(Type.Integer({ description: 'Essais de code PIN restants' })),
});

/** The `response` member of an agent route: its answers plus AgentError for 4xx and 5xx. */
export function agentResponses<R extends Record<number, TSchema>>(answers: R) {
  return { ...answers, '4xx': AgentError, '5xx': AgentError };
}

export const ReaderParams = Type.Object({ reader: Type.String({ minLength: 1, maxLength: 100 }) });

export const PairInput = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 20 }) },
  { additionalProperties: false },
);
export const Paired = Type.Object({ token: Type.String() });
export const PairingCode = Type.Object({ code: Type.String() });

export const PinStatus = Type.Object({ set: Type.Boolean(), triesLeft: Type.Integer(), blocked: Type.Boolean() });

/** What the agent shows of the card in a reader. */
export const CardView = Type.Object({
  serial: Type.String({ description: 'Numéro de la carte (10 chiffres)' }),
  model: Type.String(),
  chipState: StringEnum(['blank', 'transport', 'active', 'terminated'] as const),
  pins: Type.Object({ auth: PinStatus, sign: PinStatus }),
  keys: Type.Array(Slot),
  certificates: Type.Array(Slot),
  driver: StringEnum(['virtual', 'pkcs11'] as const),
  adminTriesLeft: Type.Optional(Type.Integer()),
  holder: Nullable(Type.String()),
  file: Nullable(Type.String()),
});

export const ReaderStatus = Type.Object({
  name: Type.String(),
  kind: StringEnum(['virtual', 'pkcs11'] as const),
  card: Nullable(CardView),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

export const AgentStatus = Type.Object({
  version: Type.Integer({ description: 'Augmente à chaque changement de ce que montre /status' }),
  changedAt: Type.String(),
  readers: Type.Array(ReaderStatus),
});

export const CardFile = Type.Object({
  file: Type.String(),
  serial: Type.String(),
  model: Type.String(),
  holder: Nullable(Type.String()),
});
export const CardFiles = Type.Object({ cards: Type.Array(CardFile) });

export const InsertInput = Type.Object(
  { file: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
);

/** The card with its certificates and public keys (GET /readers/:reader/card). */
export const CardContents = Type.Object({
  ...CardView.properties,
  certificates: Type.Array(Type.Object({ slot: Slot, der: Type.String() })),
  publicKeys: Type.Array(Type.Object({ slot: Slot, spki: Type.String(), attestation: Type.String() })),
});

export const Done = Type.Object({ ok: Type.Literal(true) });

export const VerifyPinInput = Type.Object(
  { pin: Pin, value: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);

export const ChangePinInput = Type.Object(
  { pin: Pin, oldValue: Type.String({ maxLength: 64 }), newValue: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);

export const SignInput = Type.Object(
  {
    slot: Slot,
    data: Type.String({ pattern: B64, maxLength: Math.ceil(MAX_SIGN_BYTES / 3) * 4 }),
    pin: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);
export const CardSignature = Type.Object({
  signature: Type.String({ description: 'Signature (DER, base64)' }),
  certificate: Nullable(Type.String({ description: 'Certificat de la clé (DER, base64)' })),
});

export const AdminChallenge = Type.Object({ challenge: Type.String({ description: 'Défi de la carte (base64)' }) });

const AdminResponse = Type.String({ pattern: B64, minLength: 1, maxLength: 200 });

export const SetPinInput = Type.Object(
  { pin: Pin, response: AdminResponse, newValue: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);

export const GenerateKeyInput = Type.Object({ slot: Slot, response: AdminResponse }, { additionalProperties: false });
export const GeneratedKey = Type.Object({ spki: Type.String(), attestation: Type.String() });

export const WriteCertificateInput = Type.Object(
  { slot: Slot, der: Type.String({ pattern: B64, minLength: 1, maxLength: 16_384 }), response: AdminResponse },
  { additionalProperties: false },
);
