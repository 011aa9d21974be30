// PKI: certification authorities, certificates and their status (CRL and OCSP are binary answers).
import { Type } from '@sinclair/typebox';
import { Nullable } from './common.ts';

export const Authority = Type.Object({
  id: Type.String(),
  name: Type.String(),
  label: Type.String(),
  kind: Type.String(),
  parentId: Nullable(Type.String()),
  subjectDn: Type.String(),
  notBefore: Type.String(),
  notAfter: Type.String(),
  status: Type.String(),
  pem: Type.String(),
});

export const CertificateQuery = Type.Object({
  agentId: Type.Optional(Type.String({ maxLength: 64 })),
  status: Type.Optional(Type.String({ maxLength: 16 })),
  caName: Type.Optional(Type.String({ maxLength: 60 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});

export const Certificate = Type.Object({
  serial: Type.String(),
  profile: Type.String(),
  profileLabel: Type.String(),
  subjectDn: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  reason: Nullable(Type.String()),
  reasonLabel: Nullable(Type.String()),
  revokedAt: Nullable(Type.String()),
  notBefore: Type.String(),
  notAfter: Type.String(),
  sha256: Type.String(),
  caName: Type.String(),
  agentId: Nullable(Type.String()),
  agentIdentifier: Nullable(Type.String()),
  cardId: Nullable(Type.String()),
});

export const CsrInput = Type.Object(
  {
    csr: Type.String({ maxLength: 32768 }),
    profile: Type.String({ maxLength: 8 }),
    agentIdentifier: Type.String({ maxLength: 64 }),
    caName: Type.Optional(Type.String({ maxLength: 60 })),
  },
  { additionalProperties: false },
);

export const IssuedCertificate = Type.Object({
  serial: Type.String(),
  profile: Type.String(),
  caName: Type.String(),
  subjectDn: Type.String(),
  notBefore: Type.String(),
  notAfter: Type.String(),
  sha256: Type.String(),
  pem: Type.String(),
});

export const SerialParams = Type.Object({ serial: Type.String({ maxLength: 64 }) });

export const CertificateRevocation = Type.Object(
  { reason: Type.String({ maxLength: 32, description: 'Motif RFC 5280 (keyCompromise, superseded…)' }) },
  { additionalProperties: false },
);

export const CertificateStatus = Type.Object({
  serial: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  reason: Nullable(Type.String()),
  reasonLabel: Nullable(Type.String()),
});
