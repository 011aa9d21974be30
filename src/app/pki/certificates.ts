// Use cases of the certification authorities: the key ceremony, issuance (from a CSR, for a public key
// generated on a card, in batches of cards), the status of certificates (accept, suspend, resume,
// revoke), listing and the profile check of all certificates.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1 from '@peculiar/asn1-x509';
import * as x509 from '../../pki/x509.ts';
import type { Config } from '../../config.ts';
import {
  isRevocationReason,
  REASON_LABELS,
  STATUS_LABELS,
  transition,
  type CertificateEvent,
  type CertificateState,
  type CertificateStatus,
  type RevocationReason,
} from '../../domain/certificate-status.ts';
import { sql, type Transaction } from 'kysely';
import type { CertificationAuthorityTable, CertificateTable, Database } from '../../store/schema.ts';
import {
  createIssuingAuthority,
  createOcspResponder,
  createRootAuthority,
  custodianSecretFaults,
  DEFAULT_POPULATIONS,
  issuerRef,
  KekError,
  loadServiceKek,
  openServiceSigner,
  populationFaults,
  type CreatedAuthority,
  type Population,
} from '../../pki/ca-init.ts';
import { checkCardCertificate, sha256Hex, subjectAttributeFaults } from '../../pki/checker.ts';
import { fastCardCertificate, signatureVerifies } from '../../pki/card-cert-fast.ts';
import type { Pkcs11Target } from '../../pki/pkcs11-custody.ts';
import { KeyStoreError, type Signer } from '../../pki/keystore.ts';
import {
  agentSubject,
  cardValidity,
  dnText,
  hex,
  isCardProfile,
  PROFILE_LABELS,
  publicKeyKind,
  randomSerial,
  toPem,
  type CardProfile,
  type DnPart,
  type PkiSettings,
} from '../../pki/profiles.ts';
import { appendAuditBatch } from '../../store/audit.ts';
import { authorize, scopeRoots, type Authorization } from '../access/authorize.ts';
import { auditEntry, changeWithAudit } from '../audit-trail.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { pathUnder } from '../scope.ts';
import { enqueue } from '../../jobs/queue.ts';
import type { Actor, AppContext } from '../context.ts';
import { keyPlace } from './key-place.ts';

/** What the PKI use cases need beyond the application context. */
export interface PkiEnvironment {
  settings: PkiSettings;
  /** Key-encryption key of the issuing-CA and OCSP keys. */
  kek: Buffer;
}

/** PKI environment from the configuration (publicUrl) and CARTES_CA_KEK or <data>/pki/kek. */
export function pkiEnvironment(
  config: Pick<Config, 'publicUrl' | 'dataDir'>,
  env: NodeJS.ProcessEnv = process.env,
): PkiEnvironment {
  try {
    return { settings: { publicUrl: config.publicUrl }, kek: loadServiceKek(config.dataDir, env) };
  } catch (err) {
    if (err instanceof KekError) throw invalid(err.message);
    throw err;
  }
}

function keyStoreFailure(err: unknown): never {
  if (err instanceof KeyStoreError) {
    throw new AppError(err.code === 'wrong_secret' || err.code === 'invalid' ? 'invalid' : 'conflict', err.message);
  }
  if (err instanceof KekError) throw invalid(err.message);
  throw err;
}

const frDate = (d: Date | string) => new Date(d).toLocaleDateString('fr-FR', { timeZone: 'UTC' });

// ---------------------------------------------------------------------------------------------
// Key ceremony

export interface InitPkiInput {
  /** Secrets of the two custodians of the root key (distinct, ≥ 12 characters each). */
  custodianSecrets: string[];
  populations?: Population[];
  /** Put the issuing-CA and OCSP keys on this PKCS#11 token instead of encrypted files (the root stays in files). */
  pkcs11?: Pkcs11Target;
}

export interface AuthoritySummary {
  id: string;
  name: string;
  label: string;
  kind: 'root' | 'issuing' | 'ocsp';
  subjectDn: string;
  serial: string;
  sha256: string;
  notBefore: string;
  notAfter: string;
  parentName: string | null;
}

export interface InitPkiResult {
  authorities: AuthoritySummary[];
  /** The ceremony report, in French, one line per entry. */
  report: string[];
}

/**
 * Key ceremony: root CA (self-signed, 20 years, pathLen 1, key under dual control), one issuing CA
 * per population (10 years, pathLen 0, service key) and its OCSP responder (30 days). Each
 * authority is recorded with its own audit record, then the ceremony itself.
 */
export async function initPki(
  ctx: AppContext,
  actor: Actor,
  pki: PkiEnvironment,
  input: InitPkiInput,
): Promise<InitPkiResult> {
  const auth = await authorize(ctx, actor, 'pki.admin', null);
  const secrets = input.custodianSecrets;
  const populations = input.populations ?? DEFAULT_POPULATIONS;
  const faults = [...custodianSecretFaults(secrets), ...populationFaults(populations)];
  if (faults.length)
    throw invalid(
      'La cérémonie des clés ne peut pas commencer.',
      faults.map((reason) => ({ field: 'ceremonie', reason })),
    );
  const existing = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('id')
    .where('kind', '=', 'root')
    .executeTakeFirst();
  if (existing)
    throw new AppError('conflict', "L'infrastructure de gestion de clés est déjà initialisée : une AC racine existe.");

  const startedAt = ctx.now();
  const report: string[] = [
    `Cérémonie des clés — ${startedAt.toLocaleString('fr-FR', { timeZone: 'UTC' })} (UTC)`,
    'Double contrôle : deux secrets de dépositaires distincts reçus ; la clé de l’AC racine ne s’ouvre qu’avec les deux.',
  ];
  const authorities: AuthoritySummary[] = [];

  const record = async (
    created: CreatedAuthority,
    meta: {
      name: string;
      label: string;
      kind: 'root' | 'issuing' | 'ocsp';
      parent: AuthoritySummary | null;
      action: string;
    },
  ) => {
    const id = ctx.newId();
    const cert = new x509.X509Certificate(created.der);
    const summary: AuthoritySummary = {
      id,
      name: meta.name,
      label: meta.label,
      kind: meta.kind,
      subjectDn: dnText(created.subject),
      serial: cert.serialNumber,
      sha256: sha256Hex(created.der),
      notBefore: created.notBefore.toISOString(),
      notAfter: created.notAfter.toISOString(),
      parentName: meta.parent?.name ?? null,
    };
    await changeWithAudit(ctx, actor, auth, meta.action, async (trx) => {
      await trx
        .insertInto('certification_authorities')
        .values({
          id,
          name: meta.name,
          label: meta.label,
          kind: meta.kind,
          parent_id: meta.parent?.id ?? null,
          subject_dn: summary.subjectDn,
          certificate_der: created.der,
          key_ref: JSON.stringify(created.keyRef),
          not_before: summary.notBefore,
          not_after: summary.notAfter,
          crl_number: 0,
          status: 'active',
          created_at: ctx.now().toISOString(),
        })
        .execute();
      return {
        result: null,
        targetType: 'certification_authority',
        targetId: id,
        summary: {
          after: {
            name: meta.name,
            kind: meta.kind,
            subjectDn: summary.subjectDn,
            serial: summary.serial,
            sha256: summary.sha256,
            notAfter: summary.notAfter,
            custody: created.keyRef.custody,
            parent: meta.parent?.name ?? null,
          },
        },
      };
    });
    authorities.push(summary);
    const what =
      meta.kind === 'root' ? 'AC racine créée' : meta.kind === 'issuing' ? 'AC émettrice créée' : 'Répondeur OCSP créé';
    report.push(`${what} (${meta.name}) : ${summary.subjectDn}`);
    report.push(`  numéro de série ${summary.serial}, empreinte SHA-256 ${summary.sha256}`);
    report.push(
      `  valable du ${frDate(summary.notBefore)} au ${frDate(summary.notAfter)} ; clé ${created.keyRef.algorithm}, ${created.keyRef.custody === 'dual-control' ? 'sous double contrôle' : created.keyRef.store === 'pkcs11' ? `sur le jeton PKCS#11 « ${created.keyRef.tokenLabel} » (non exportable)` : 'chiffrée sous la clé de service'}`,
    );
    return summary;
  };

  try {
    const rootId = ctx.newId();
    const root = await createRootAuthority({
      dataDir: ctx.dataDir,
      id: rootId,
      secrets: [secrets[0]!, secrets[1]!],
      now: ctx.now(),
      settings: pki.settings,
    });
    const rootSummary = await record(root, {
      name: 'root',
      label: 'AC Racine',
      kind: 'root',
      parent: null,
      action: 'pki.ca.create',
    });
    const rootIssuer = issuerRef('root', root.der, root.signer);
    for (const population of populations) {
      const issuing = await createIssuingAuthority({
        ...keyPlace(ctx),
        id: ctx.newId(),
        kek: pki.kek,
        population,
        root: rootIssuer,
        now: ctx.now(),
        settings: pki.settings,
        pkcs11: input.pkcs11,
      });
      const issuingSummary = await record(issuing, {
        name: population.name,
        label: population.label,
        kind: 'issuing',
        parent: rootSummary,
        action: 'pki.ca.create',
      });
      const ocsp = await createOcspResponder({
        ...keyPlace(ctx),
        id: ctx.newId(),
        kek: pki.kek,
        population,
        issuing: issuerRef(population.name, issuing.der, issuing.signer),
        now: ctx.now(),
        settings: pki.settings,
        pkcs11: input.pkcs11,
      });
      await record(ocsp, {
        name: `${population.name}-ocsp`,
        label: `Répondeur OCSP — ${population.label}`,
        kind: 'ocsp',
        parent: issuingSummary,
        action: 'pki.ocsp.create',
      });
    }
  } catch (err) {
    keyStoreFailure(err);
  }
  report.push(
    `Fin de la cérémonie : ${authorities.length} autorité(s) créée(s). La clé de l’AC racine est refermée ; les dépositaires conservent chacun leur secret séparément.`,
  );
  await changeWithAudit(ctx, actor, auth, 'pki.init', async () => ({
    result: null,
    targetType: 'pki',
    targetId: authorities[0]!.id,
    summary: {
      after: {
        authorities: authorities.map((a) => ({ name: a.name, kind: a.kind, serial: a.serial, sha256: a.sha256 })),
      },
    },
  }));
  return { authorities, report };
}

// ---------------------------------------------------------------------------------------------
// Authorities

type CaRow = CertificationAuthorityTable;

export async function listAuthorities(ctx: AppContext, actor: Actor) {
  await authorize(ctx, actor, 'certificate.read', null);
  const rows = await ctx.store.db
    .selectFrom('certification_authorities')
    .selectAll()
    .orderBy('created_at')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    label: r.label,
    kind: r.kind,
    parentId: r.parent_id,
    subjectDn: r.subject_dn,
    notBefore: r.not_before,
    notAfter: r.not_after,
    status: r.status,
    pem: toPem(new Uint8Array(r.certificate_der)),
  }));
}

async function loadCa(ctx: AppContext, name: string): Promise<CaRow> {
  const ca = await ctx.store.db
    .selectFrom('certification_authorities')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!ca) throw notFound(`Autorité de certification inconnue : « ${name} ».`);
  return ca;
}

/** Issuing CA of an organisation: the armed forces, the local authorities, or the State. */
async function issuingCaFor(ctx: AppContext, orgPath: string): Promise<CaRow> {
  const issuing = await ctx.store.db
    .selectFrom('certification_authorities')
    .selectAll()
    .where('kind', '=', 'issuing')
    .where('status', '=', 'active')
    .orderBy('created_at')
    .execute();
  if (issuing.length === 0)
    throw new AppError('conflict', "Aucune AC émettrice : lancez d'abord la cérémonie des clés (cartes ca init).");
  const ancestors = await ctx.store.db
    .selectFrom('organizations')
    .select(['code', 'kind'])
    .where('id', 'in', orgPath.split('/').filter(Boolean))
    .execute();
  const wanted = ancestors.some((o) => o.code === 'MINARM' || o.kind === 'unit')
    ? 'armees'
    : ancestors.some((o) => o.kind === 'municipality')
      ? 'collectivites'
      : 'etat';
  return issuing.find((c) => c.name === wanted) ?? issuing[0]!;
}

// ---------------------------------------------------------------------------------------------
// Issuance

export interface IssueFromCsrInput {
  /** PKCS#10 request, PEM text or DER bytes. */
  csr: string | Uint8Array;
  profile: CardProfile | string;
  /** Identifier of the agent (NID, Alliance number or internal identifier). */
  agentIdentifier: string;
  cardId?: string | null;
  /** Issuing CA name; default: the population of the agent's organisation. */
  caName?: string;
}

export interface IssuedCertificate {
  serial: string;
  profile: CardProfile;
  caName: string;
  subjectDn: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  der: Uint8Array;
  pem: string;
}

const CSR_UNREADABLE = 'Demande de certificat (CSR) illisible : un fichier PKCS#10 au format PEM ou DER est attendu.';
const CSR_BAD_SIGNATURE =
  'Signature de la demande de certificat invalide : la possession de la clé privée n’est pas prouvée.';

async function readCsr(input: string | Uint8Array): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    const asText = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    const text = asText.includes('-----BEGIN') ? asText : typeof input === 'string' ? input : null;
    if (
      text !== null &&
      !text.includes('-----BEGIN CERTIFICATE REQUEST-----') &&
      !text.includes('-----BEGIN NEW CERTIFICATE REQUEST-----')
    )
      throw new Error('not PEM');
    csr = new x509.Pkcs10CertificateRequest(text ?? new Uint8Array(input as Uint8Array));
  } catch {
    throw invalid(CSR_UNREADABLE, [{ field: 'csr', reason: 'Illisible.' }]);
  }
  let ok: boolean;
  try {
    ok = await csr.verify();
  } catch {
    ok = false;
  }
  if (!ok) throw invalid(CSR_BAD_SIGNATURE, [{ field: 'csr', reason: 'Signature invalide.' }]);
  const key = csr.publicKey.algorithm as { name?: string; namedCurve?: string; modulusLength?: number };
  const spki = new Uint8Array(csr.publicKey.rawData);
  const kind = publicKeyKind(spki);
  if (kind === 'other')
    throw invalid('Type de clé non admis dans la demande : EC P-256 ou RSA 2048 bits au moins.', [
      { field: 'csr', reason: 'Type de clé non admis.' },
    ]);
  if (kind === 'ec' && key.namedCurve && key.namedCurve !== 'P-256')
    throw invalid(`Courbe ${key.namedCurve} non admise : P-256 attendue.`, [
      { field: 'csr', reason: 'Courbe non admise.' },
    ]);
  if (kind === 'rsa' && (key.modulusLength ?? 0) < 2048)
    throw invalid('Clé RSA trop courte : 2048 bits au moins.', [{ field: 'csr', reason: 'Clé trop courte.' }]);
  return csr;
}

/** Issues a card certificate (AUTH, SIGN or ENC) for an agent from a PKCS#10 request; status « issued ». */
export async function issueFromCsr(
  ctx: AppContext,
  actor: Actor,
  pki: PkiEnvironment,
  input: IssueFromCsrInput,
): Promise<IssuedCertificate> {
  const request: IssuanceRequest = {
    profile: input.profile,
    agentIdentifier: input.agentIdentifier,
    cardId: input.cardId ?? null,
    caName: input.caName,
    // Re-encoded as DER: the certificate carries the SPKI bytes as given (card-cert-fast.ts), and a
    // request may hold a BER encoding the ASN.1 library accepts.
    publicKey: async () =>
      new Uint8Array(
        AsnConvert.serialize(AsnConvert.parse((await readCsr(input.csr)).publicKey.rawData, asn1.SubjectPublicKeyInfo)),
      ),
  };
  const prepared = await prepareIssuance(ctx, actor, pki, request, new IssuanceCache());
  const [issued] = await signAndStore(ctx, actor, pki, [prepared]);
  return issued!;
}

export interface IssueForPublicKeyInput {
  /** SubjectPublicKeyInfo (DER) of a key generated on the card, as the card returns it. */
  spki: Uint8Array;
  profile: CardProfile | string;
  /** Identifier of the agent (NID, Alliance number or internal identifier). */
  agentIdentifier: string;
  cardId?: string | null;
  /** Issuing CA name; default: the population of the agent's organisation. */
  caName?: string;
}

const SPKI_UNREADABLE = 'Clé publique illisible : une structure SubjectPublicKeyInfo (DER) est attendue.';
const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** ECParameters of P-256: namedCurve OBJECT IDENTIFIER 1.2.840.10045.3.1.7, DER. */
const P256_PARAMETERS = Buffer.from('06082a8648ce3d030107', 'hex');
const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/**
 * SubjectPublicKeyInfo of a P-256 key, uncompressed point: SEQUENCE { SEQUENCE { id-ecPublicKey,
 * prime256v1 }, BIT STRING (0 unused bits, 04 ‖ X ‖ Y) }: 27 fixed bytes (up to the 04) then X and Y.
 */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');
const P256_SPKI_LENGTH = 91;

/**
 * Checks the public key of a card (SubjectPublicKeyInfo DER): EC P-256 (a point on the curve) or
 * RSA of 2048 bits at least; French error otherwise. Returns the key as given.
 */
export function readCardPublicKey(spki: Uint8Array): Uint8Array {
  const bad = (message: string, reason: string): never => {
    throw invalid(message, [{ field: 'spki', reason }]);
  };
  if (!(spki instanceof Uint8Array) || spki.length === 0) return bad(SPKI_UNREADABLE, 'Illisible.');
  if (spki.length === P256_SPKI_LENGTH && P256_SPKI_PREFIX.equals(spki.subarray(0, P256_SPKI_PREFIX.length))) {
    // The DER of every P-256 key with a named curve and an uncompressed point (what cards return):
    // canonical by its fixed layout, so only the point is left to check (same checks and messages
    // as below, without the ASN.1 parse and re-encoding).
    let key: KeyObject;
    try {
      key = createPublicKey({
        key: Buffer.from(spki.buffer, spki.byteOffset, spki.length),
        format: 'der',
        type: 'spki',
      });
    } catch {
      return bad('Clé EC invalide : courbe inconnue ou point hors de la courbe.', 'Clé invalide.');
    }
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1')
      return bad(`Courbe ${curve ?? 'inconnue'} non admise : P-256 attendue.`, 'Courbe non admise.');
    return spki;
  }
  let info: asn1.SubjectPublicKeyInfo;
  try {
    info = AsnConvert.parse(spki, asn1.SubjectPublicKeyInfo);
  } catch {
    return bad(SPKI_UNREADABLE, 'Illisible.');
  }
  // DER is canonical: anything after the structure, or a non-DER encoding, does not re-encode to the same bytes.
  if (!Buffer.from(AsnConvert.serialize(info)).equals(spki))
    return bad(SPKI_UNREADABLE, 'Encodage DER non canonique ou octets en trop.');
  const oid = info.algorithm.algorithm;
  if (oid !== OID_EC_PUBLIC_KEY && oid !== OID_RSA_ENCRYPTION) {
    return bad(`Type de clé non admis (${oid}) : EC P-256 ou RSA 2048 bits au moins.`, 'Type de clé non admis.');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return bad(
      oid === OID_EC_PUBLIC_KEY ? 'Clé EC invalide : courbe inconnue ou point hors de la courbe.' : 'Clé RSA invalide.',
      'Clé invalide.',
    );
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (oid === OID_EC_PUBLIC_KEY) {
    const named = info.algorithm.parameters ? Buffer.from(info.algorithm.parameters).equals(P256_PARAMETERS) : false;
    if (!named || details.namedCurve !== 'prime256v1') {
      return bad(`Courbe ${details.namedCurve ?? 'inconnue'} non admise : P-256 attendue.`, 'Courbe non admise.');
    }
  } else if ((details.modulusLength ?? 0) < 2048) {
    return bad(`Clé RSA trop courte (${details.modulusLength ?? 0} bits) : 2048 bits au moins.`, 'Clé trop courte.');
  }
  return spki;
}

/**
 * Issues a card certificate for a public key generated on the card (no CSR: the card cannot sign
 * one before it is personalised). Same checks, profile, self-check and audit as issueFromCsr.
 */
export async function issueForPublicKey(
  ctx: AppContext,
  actor: Actor,
  pki: PkiEnvironment,
  input: IssueForPublicKeyInput,
): Promise<IssuedCertificate> {
  const prepared = await prepareIssuance(ctx, actor, pki, publicKeyRequest(input), new IssuanceCache());
  const [issued] = await signAndStore(ctx, actor, pki, [prepared]);
  return issued!;
}

/** Certificates written per transaction by issueBatch. */
export const ISSUE_BATCH_CHUNK = 500;
export const ISSUE_BATCH_MAX = 200_000;

export interface IssueBatchOptions {
  /** Certificates per transaction (default ISSUE_BATCH_CHUNK). */
  chunk?: number;
  /** Called after each chunk commits. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Called inside each chunk's transaction with the certificates of the chunk and their items, so
   * the caller's rows (e.g. the cards of a production report) commit with them or not at all.
   */
  inTransaction?: (
    trx: Transaction<Database>,
    issued: IssuedCertificate[],
    items: readonly IssueForPublicKeyInput[],
  ) => Promise<void>;
}

/**
 * Issues many card certificates for public keys (personalisation of a batch of cards). Every item
 * is checked first (profile, agent, rights, key, CA, subject): one bad item refuses the whole
 * batch, in French, naming it, and nothing is written. Then each issuing CA key is opened once
 * and the certificates are signed, self-checked and written in one transaction per chunk, each
 * certificate with its own audit record. A failure while writing keeps the chunks already
 * committed (each one whole, with its audit records).
 */
export async function issueBatch(
  ctx: AppContext,
  actor: Actor,
  pki: PkiEnvironment,
  items: readonly IssueForPublicKeyInput[],
  options: IssueBatchOptions = {},
): Promise<IssuedCertificate[]> {
  if (items.length === 0) return [];
  if (items.length > ISSUE_BATCH_MAX)
    throw invalid(`Lot trop grand : ${items.length} certificats (${ISSUE_BATCH_MAX} au plus).`);
  const chunk = Math.max(1, Math.min(5000, options.chunk ?? ISSUE_BATCH_CHUNK));
  const cache = new IssuanceCache();
  await cache.prefetchAgents(
    ctx,
    items.map((i) => i.agentIdentifier),
  );
  const prepared: PreparedIssuance[] = [];
  for (let i = 0; i < items.length; i++) {
    // A large batch runs beside the server's requests: give them the event loop now and then.
    if (i % 500 === 499) await yieldToEventLoop();
    try {
      prepared.push(await prepareIssuance(ctx, actor, pki, publicKeyRequest(items[i]!), cache));
    } catch (err) {
      if (err instanceof AppError)
        throw new AppError(
          err.code,
          `Lot refusé, élément n° ${i + 1} (${items[i]!.agentIdentifier}, ${items[i]!.profile}) : ${err.message} Aucun certificat n'a été émis.`,
          err.errors,
        );
      throw err;
    }
  }
  const issued: IssuedCertificate[] = [];
  for (let start = 0; start < prepared.length; start += chunk) {
    const hook = options.inTransaction;
    issued.push(
      ...(await signAndStore(
        ctx,
        actor,
        pki,
        prepared.slice(start, start + chunk),
        hook ? (trx, done) => hook(trx, done, items.slice(start, start + chunk)) : undefined,
      )),
    );
    options.onProgress?.(issued.length, prepared.length);
    await yieldToEventLoop();
  }
  return issued;
}

/** Lets pending I/O (requests) run between slices of long work; SQLite calls alone never yield. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// --- The one issuance path (issueFromCsr, issueForPublicKey, issueBatch)

interface IssuanceRequest {
  profile: CardProfile | string;
  agentIdentifier: string;
  cardId: string | null;
  caName: string | undefined;
  /** Reads and checks the subject's public key (CSR or SPKI); returns its SubjectPublicKeyInfo DER. */
  publicKey: () => Promise<Uint8Array>;
}

function publicKeyRequest(input: IssueForPublicKeyInput): IssuanceRequest {
  return {
    profile: input.profile,
    agentIdentifier: input.agentIdentifier,
    cardId: input.cardId ?? null,
    caName: input.caName,
    publicKey: async () => readCardPublicKey(input.spki),
  };
}

interface IssuanceAgent {
  id: string;
  identifier: string;
  first_names: string;
  last_name: string;
  status: string;
  organization_id: string;
  org_name: string;
  siren: string | null;
  path: string;
}

/** An issuing CA ready to sign: its row, certificate, opened key and the validity it gives today. */
interface OpenCa {
  row: CaRow;
  certificate: x509.X509Certificate;
  signer: Signer;
  notBefore: Date;
  notAfter: Date;
}

interface PreparedIssuance {
  profile: CardProfile;
  agent: IssuanceAgent;
  auth: Authorization;
  spki: Uint8Array;
  ca: OpenCa;
  subject: DnPart[];
  subjectDn: string;
  cardId: string | null;
}

/** What a batch looks up once: agents, rights per organisation, CAs (key opened once), SIRENs. */
class IssuanceCache {
  readonly agents = new Map<string, IssuanceAgent>();
  private prefetched = false;
  readonly auth = new Map<string, Authorization>();
  readonly caByName = new Map<string, Promise<CaRow>>();
  readonly caByPath = new Map<string, Promise<CaRow>>();
  readonly open = new Map<string, Promise<OpenCa>>();
  readonly siren = new Map<string, Promise<string | null>>();

  private agentQuery(ctx: AppContext) {
    return ctx.store.db
      .selectFrom('agents as a')
      .innerJoin('organizations as o', 'o.id', 'a.organization_id')
      .select([
        'a.id',
        'a.identifier',
        'a.first_names',
        'a.last_name',
        'a.status',
        'a.organization_id',
        'o.name as org_name',
        'o.siren',
        'o.path',
      ]);
  }

  async prefetchAgents(ctx: AppContext, identifiers: string[]): Promise<void> {
    const unique = [...new Set(identifiers)];
    for (let i = 0; i < unique.length; i += 500) {
      for (const a of await this.agentQuery(ctx)
        .where('a.identifier', 'in', unique.slice(i, i + 500))
        .execute())
        this.agents.set(a.identifier, a);
    }
    this.prefetched = true;
  }

  async agent(ctx: AppContext, identifier: string): Promise<IssuanceAgent | undefined> {
    if (this.prefetched || this.agents.has(identifier)) return this.agents.get(identifier);
    const a = await this.agentQuery(ctx).where('a.identifier', '=', identifier).executeTakeFirst();
    if (a) this.agents.set(identifier, a);
    return a;
  }
}

function once<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (!p) {
    p = make();
    map.set(key, p);
    p.catch(() => map.delete(key));
  }
  return p;
}

/** Everything but the signature: the checks, in the order issueFromCsr has always made them. */
async function prepareIssuance(
  ctx: AppContext,
  actor: Actor,
  pki: PkiEnvironment,
  req: IssuanceRequest,
  cache: IssuanceCache,
): Promise<PreparedIssuance> {
  const profile = req.profile;
  if (!isCardProfile(profile))
    throw invalid(`Profil de certificat inconnu : « ${profile} » (auth, sign ou enc).`, [
      { field: 'profile', reason: 'Profil inconnu.' },
    ]);
  const agent = await cache.agent(ctx, req.agentIdentifier);
  if (!agent) throw notFound(`Agent inconnu : « ${req.agentIdentifier} ».`);
  let auth = cache.auth.get(agent.organization_id);
  if (!auth) {
    auth = await authorize(ctx, actor, 'pki.admin', agent.organization_id, { type: 'agent', id: agent.id });
    cache.auth.set(agent.organization_id, auth);
  }
  // ETSI REG-6.2.2-26: nobody performs a registration operation for themselves.
  if (actor.kind === 'person' && actor.agentId === agent.id)
    throw new AppError('forbidden', 'Vous ne pouvez pas délivrer un certificat à votre propre nom.');
  if (agent.status !== 'active')
    throw new AppError('conflict', "L'agent est désactivé : aucun certificat ne peut lui être délivré.");
  const spki = await req.publicKey();
  const caRow = req.caName
    ? await once(cache.caByName, req.caName, () => loadCa(ctx, req.caName!))
    : await once(cache.caByPath, agent.path, () => issuingCaFor(ctx, agent.path));
  if (caRow.kind !== 'issuing' || caRow.status !== 'active')
    throw invalid(`« ${caRow.name} » n'est pas une AC émettrice active.`);

  // The nearest organisation up the tree that has a SIREN gives the OU.
  const siren =
    agent.siren ??
    (await once(cache.siren, agent.path, async () => {
      const ancestors = await ctx.store.db
        .selectFrom('organizations')
        .select(['id', 'siren', 'path'])
        .where('id', 'in', agent.path.split('/').filter(Boolean))
        .execute();
      return ancestors.filter((o) => o.siren).sort((a, b) => b.path.length - a.path.length)[0]?.siren ?? null;
    }));
  const subject = agentSubject({
    organizationName: agent.org_name,
    siren,
    firstNames: agent.first_names,
    lastName: agent.last_name,
    identifier: agent.identifier,
  });
  const tooLong = subject.find((part) => [...part.value].length > 64);
  if (tooLong)
    throw invalid(
      `Le ${tooLong.type === 'O' ? "nom de l'organisation" : 'nom du titulaire'} dépasse 64 caractères, la limite d'un certificat : « ${tooLong.value} ».`,
    );
  const ca = await once(cache.open, caRow.id, async () => {
    const certificate = new x509.X509Certificate(new Uint8Array(caRow.certificate_der));
    let signer: Signer;
    try {
      signer = await openServiceSigner(keyPlace(ctx), caRow.key_ref, pki.kek);
    } catch (err) {
      keyStoreFailure(err);
    }
    const { notBefore, notAfter } = cardValidity(ctx.now(), certificate.notAfter);
    return { row: caRow, certificate, signer, notBefore, notAfter };
  });
  if (ca.notAfter.getTime() <= ca.notBefore.getTime())
    throw new AppError('conflict', `L'AC « ${caRow.name} » est expirée.`);
  return { profile, agent, auth, spki, ca, subject, subjectDn: dnText(subject), cardId: req.cardId };
}

/** Fresh random serials, none already stored nor repeated in the list. */
async function freshSerials(ctx: AppContext, count: number): Promise<Uint8Array[]> {
  const serials = Array.from({ length: count }, () => randomSerial());
  for (let attempt = 0; ; attempt++) {
    const seen = new Set<string>();
    const clash = new Set<number>();
    serials.forEach((s, i) => {
      const h = hex(s);
      if (seen.has(h)) clash.add(i);
      seen.add(h);
    });
    for (let i = 0; i < serials.length; i += 500) {
      const taken = await ctx.store.db
        .selectFrom('certificates')
        .select('serial')
        .where('serial', 'in', [...seen].slice(i, i + 500))
        .execute();
      for (const t of taken) clash.add(serials.findIndex((s) => hex(s) === t.serial));
    }
    if (clash.size === 0) return serials;
    if (attempt >= 5) throw new Error('serial collisions: random source broken?');
    for (const i of clash) serials[i] = randomSerial();
  }
}

/** Signs, self-checks and stores prepared certificates: one transaction, one audit record each. */
async function signAndStore(
  ctx: AppContext,
  actor: Actor,
  pki: PkiEnvironment,
  items: PreparedIssuance[],
  inTransaction?: (trx: Transaction<Database>, issued: IssuedCertificate[]) => Promise<void>,
): Promise<IssuedCertificate[]> {
  const serials = await freshSerials(ctx, items.length);
  const issued: IssuedCertificate[] = [];
  for (let i = 0; i < items.length; i++) {
    const p = items[i]!;
    const serialBytes = serials[i]!;
    const { ca } = p;
    // Built from DER parts made once per CA and profile by the profile builders (byte for byte what
    // cardCertificate gives: card-cert-fast.test.ts). The self-check is the signature against the
    // CA's public key and the subject DN rules; the full profile checker (checkCardCertificate) is
    // for `cartes ca check` and the tests, which run it on every certificate they issue.
    const { der, tbs, signature } = await fastCardCertificate({
      serial: serialBytes,
      profile: p.profile,
      subject: p.subject,
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      spki: p.spki,
      issuer: { name: ca.row.name, certificate: ca.certificate, signer: ca.signer },
      settings: pki.settings,
    });
    const faults = subjectAttributeFaults(
      p.subject.map((a) => ({ ...a, encoding: a.type === 'C' ? 'printableString' : 'utf8String' })),
    );
    if (!signatureVerifies(tbs, signature, ca.certificate))
      faults.push("Signature invalide : le certificat n'est pas signé par l'autorité émettrice.");
    if (faults.length) throw new Error(`certificate failed its own profile check: ${faults.join(' ; ')}`);
    issued.push({
      serial: hex(serialBytes),
      profile: p.profile,
      caName: ca.row.name,
      subjectDn: p.subjectDn,
      notBefore: ca.notBefore.toISOString(),
      notAfter: ca.notAfter.toISOString(),
      sha256: sha256Hex(der),
      der,
      pem: toPem(der),
    });
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    const now = ctx.now().toISOString();
    // Multi-row inserts of 100 rows (15 parameters a row: well under the SQLite and PostgreSQL limits).
    for (let start = 0; start < issued.length; start += 100) {
      await trx
        .insertInto('certificates')
        .values(
          issued.slice(start, start + 100).map((c, k) => {
            const p = items[start + k]!;
            return {
              serial: c.serial,
              ca_id: p.ca.row.id,
              profile: c.profile,
              agent_id: p.agent.id,
              card_id: p.cardId,
              subject_dn: c.subjectDn,
              der: c.der,
              sha256: c.sha256,
              not_before: c.notBefore,
              not_after: c.notAfter,
              status: 'issued',
              revoked_at: null,
              revocation_reason: null,
              status_changed_at: now,
              created_at: now,
            };
          }),
        )
        .execute();
    }
    await logStatusChanges(
      trx,
      issued.map((c) => c.serial),
      now,
    );
    await appendAuditBatch(
      trx,
      ctx.store,
      issued.map((c, i) => {
        const p = items[i]!;
        return auditEntry(ctx, actor, p.auth, 'certificate.issue', {
          targetType: 'certificate',
          targetId: c.serial,
          summary: {
            after: {
              serial: c.serial,
              profile: c.profile,
              ca: c.caName,
              agent: p.agent.identifier,
              subjectDn: c.subjectDn,
              notAfter: c.notAfter,
              sha256: c.sha256,
              status: 'issued',
              ...(p.cardId ? { card: p.cardId } : {}),
            },
          },
        });
      }),
    );
    await inTransaction?.(trx, issued);
  });
  return issued;
}

// ---------------------------------------------------------------------------------------------
// Status changes

type CertRow = CertificateTable & { organization_id: string | null };

async function loadCertificate(ctx: AppContext, serial: string): Promise<CertRow> {
  const normalized = serial.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,40}$/.test(normalized))
    throw invalid(`Numéro de série invalide : « ${serial} » (hexadécimal attendu).`, [
      { field: 'serial', reason: 'Hexadécimal attendu.' },
    ]);
  const row = await ctx.store.db
    .selectFrom('certificates as c')
    .leftJoin('agents as a', 'a.id', 'c.agent_id')
    .selectAll('c')
    .select('a.organization_id')
    .where('c.serial', '=', normalized)
    .executeTakeFirst();
  if (!row) throw notFound(`Certificat inconnu : ${normalized}.`);
  return row;
}

const ACTIONS: Record<CertificateEvent['kind'], string> = {
  accept: 'certificate.accept',
  suspend: 'certificate.suspend',
  resume: 'certificate.resume',
  revoke: 'certificate.revoke',
  expire: 'certificate.expire',
};

export interface CertificateStatusResult {
  serial: string;
  status: CertificateStatus;
  statusLabel: string;
  reason: RevocationReason | null;
  reasonLabel: string | null;
}

async function changeStatus(
  ctx: AppContext,
  actor: Actor,
  serial: string,
  event: CertificateEvent,
): Promise<CertificateStatusResult> {
  const cert = await loadCertificate(ctx, serial);
  const auth = cert.organization_id
    ? await authorize(ctx, actor, 'certificate.revoke', cert.organization_id, { type: 'certificate', id: cert.serial })
    : await authorize(ctx, actor, 'pki.admin', null, { type: 'certificate', id: cert.serial });
  // ETSI REG-6.2.2-26: accepting or reinstating one's own certificate is for another operator
  // (revoking or suspending one's own, e.g. after a loss, stays possible).
  if (
    actor.kind === 'person' &&
    actor.agentId === cert.agent_id &&
    (event.kind === 'accept' || event.kind === 'resume')
  ) {
    throw new AppError('forbidden', 'Un autre opérateur doit enregistrer cette opération sur votre propre certificat.');
  }
  const before = {
    status: cert.status as CertificateStatus,
    reason: (cert.revocation_reason as RevocationReason | null) ?? null,
  };
  const next = transition(before, event);
  if (!next.ok) throw new AppError('conflict', next.message);
  const now = ctx.now().toISOString();
  await changeWithAudit(ctx, actor, auth, ACTIONS[event.kind], async (trx) => {
    if (!(await writeCertificateStatus(trx, cert, next.state, now)))
      throw new AppError('conflict', 'Le statut du certificat vient de changer : recommencez.');
    if (event.kind === 'revoke' || event.kind === 'suspend' || event.kind === 'resume') {
      // Outbox: the CRL is republished once this change commits (OCSP reads the row directly).
      await enqueue(trx, { id: ctx.newId(), kind: 'crl.publish', payload: { caId: cert.ca_id }, runAt: now, now });
    }
    return {
      result: null,
      targetType: 'certificate',
      targetId: cert.serial,
      summary: { before, after: next.state },
    };
  });
  const r = next.state;
  return {
    serial: cert.serial,
    status: r.status,
    statusLabel: STATUS_LABELS[r.status],
    reason: r.reason,
    reasonLabel: r.reason ? REASON_LABELS[r.reason] : null,
  };
}

/**
 * Writes one status transition (from domain/certificate-status.ts) of a certificate, guarded by the
 * status it was read with, so that two changes never both apply; false when it moved meanwhile.
 * Every writer of certificate status goes through here.
 */
export async function writeCertificateStatus(
  trx: Transaction<Database>,
  cert: { serial: string; status: string },
  next: CertificateState,
  now: string,
): Promise<boolean> {
  const changed = await trx
    .updateTable('certificates')
    .set({
      status: next.status,
      revocation_reason: next.reason,
      // An expiry on hold keeps its suspension date (OCSP goes on answering it, RFC 6960 §4.4.4).
      revoked_at:
        next.status === 'revoked' || next.status === 'suspended'
          ? now
          : next.status === 'expired' && next.reason
            ? sql<string | null>`revoked_at`
            : null,
      status_changed_at: now,
    })
    .where('serial', '=', cert.serial)
    .where('status', '=', cert.status)
    .executeTakeFirst();
  if (Number(changed.numUpdatedRows) !== 1) return false;
  await logStatusChanges(trx, [cert.serial], now);
  return true;
}

/**
 * Appends to the status change log, in the transaction of the change: OCSP responders follow it by
 * id to sign the new answers and drop the old ones (app/pki/ocsp-responder.ts), without scanning.
 */
export async function logStatusChanges(trx: Transaction<Database>, serials: readonly string[], now: string) {
  for (let start = 0; start < serials.length; start += 300) {
    const part = serials.slice(start, start + 300);
    await sql`insert into certificate_status_changes (serial, ca_id, changed_at)
              select serial, ca_id, ${now} from certificates where serial in (${sql.join(part)}) order by serial`.execute(
      trx,
    );
  }
}

/** issued → valid: the holder accepted the certificate (at activation). */
export async function acceptCertificate(ctx: AppContext, actor: Actor, serial: string) {
  return changeStatus(ctx, actor, serial, { kind: 'accept' });
}

/** Revocation with an RFC 5280 reason (not certificateHold: that is a suspension). Final. */
export async function revokeCertificate(ctx: AppContext, actor: Actor, serial: string, reason: string) {
  if (!isRevocationReason(reason)) {
    throw invalid(`Motif de révocation inconnu : « ${reason} ».`, [
      {
        field: 'reason',
        reason: `Motifs possibles : ${Object.keys(REASON_LABELS)
          .filter((r) => r !== 'certificateHold')
          .join(', ')}.`,
      },
    ]);
  }
  return changeStatus(ctx, actor, serial, { kind: 'revoke', reason });
}

/** valid → suspended (certificateHold). */
export async function suspendCertificate(ctx: AppContext, actor: Actor, serial: string) {
  return changeStatus(ctx, actor, serial, { kind: 'suspend' });
}

/** suspended → valid. */
export async function resumeCertificate(ctx: AppContext, actor: Actor, serial: string) {
  return changeStatus(ctx, actor, serial, { kind: 'resume' });
}

// ---------------------------------------------------------------------------------------------
// Reading and checking

export interface CertificateFilter {
  agentId?: string;
  status?: string;
  caName?: string;
  limit?: number;
}

export async function listCertificates(ctx: AppContext, actor: Actor, filter: CertificateFilter = {}) {
  const roots = await scopeRoots(ctx, actor, 'certificate.read');
  let q = ctx.store.db
    .selectFrom('certificates as c')
    .innerJoin('certification_authorities as ca', 'ca.id', 'c.ca_id')
    .leftJoin('agents as a', 'a.id', 'c.agent_id')
    .leftJoin('organizations as o', 'o.id', 'a.organization_id');
  if (roots !== null) q = q.where(pathUnder(roots, 'o.path'));
  if (filter.agentId) q = q.where('c.agent_id', '=', filter.agentId);
  if (filter.status) q = q.where('c.status', '=', filter.status);
  if (filter.caName) q = q.where('ca.name', '=', filter.caName);
  const rows = await q
    .select([
      'c.serial',
      'c.profile',
      'c.subject_dn',
      'c.status',
      'c.revocation_reason',
      'c.revoked_at',
      'c.not_before',
      'c.not_after',
      'c.sha256',
      'c.agent_id',
      'c.card_id',
      'ca.name as ca_name',
      'a.identifier',
    ])
    .orderBy('c.created_at', 'desc')
    .orderBy('c.serial')
    .limit(Math.min(1000, Math.max(1, filter.limit ?? 200)))
    .execute();
  return rows.map((r) => ({
    serial: r.serial,
    profile: r.profile,
    profileLabel: PROFILE_LABELS[r.profile as CardProfile] ?? r.profile,
    subjectDn: r.subject_dn,
    status: r.status,
    statusLabel: STATUS_LABELS[r.status as CertificateStatus] ?? r.status,
    reason: r.revocation_reason,
    reasonLabel: r.revocation_reason
      ? (REASON_LABELS[r.revocation_reason as RevocationReason] ?? r.revocation_reason)
      : null,
    revokedAt: r.revoked_at,
    notBefore: r.not_before,
    notAfter: r.not_after,
    sha256: r.sha256,
    caName: r.ca_name,
    agentId: r.agent_id,
    agentIdentifier: r.identifier,
    cardId: r.card_id,
  }));
}

export interface CheckReport {
  checked: number;
  good: number;
  bad: number;
  faults: { serial: string; profile: string; subjectDn: string; faults: string[] }[];
}

/** Runs the profile checker on every stored card certificate. */
export async function checkAll(ctx: AppContext, actor: Actor, pki: PkiEnvironment): Promise<CheckReport> {
  await authorize(ctx, actor, 'pki.admin', null);
  const cas = new Map<string, x509.X509Certificate>();
  for (const ca of await ctx.store.db
    .selectFrom('certification_authorities')
    .select(['id', 'certificate_der'])
    .execute()) {
    cas.set(ca.id, new x509.X509Certificate(new Uint8Array(ca.certificate_der)));
  }
  const report: CheckReport = { checked: 0, good: 0, bad: 0, faults: [] };
  let last = '';
  for (;;) {
    const page = await ctx.store.db
      .selectFrom('certificates')
      .select(['serial', 'ca_id', 'profile', 'subject_dn', 'der'])
      .where('serial', '>', last)
      .orderBy('serial')
      .limit(500)
      .execute();
    if (page.length === 0) break;
    for (const c of page) {
      const issuer = cas.get(c.ca_id);
      const faults = !issuer
        ? ['Autorité émettrice introuvable.']
        : !isCardProfile(c.profile)
          ? [`Profil inconnu « ${c.profile} ».`]
          : await checkCardCertificate(new Uint8Array(c.der), c.profile, issuer, { policies: pki.settings.policies });
      report.checked++;
      if (faults.length) {
        report.bad++;
        report.faults.push({ serial: c.serial, profile: c.profile, subjectDn: c.subject_dn, faults });
      } else {
        report.good++;
      }
    }
    last = page[page.length - 1]!.serial;
  }
  return report;
}

class StatusMoved extends Error {}

/**
 * Marks as expired every certificate past its notAfter (issued, valid or suspended ones), one audit
 * record each. Meant for a scheduled job; returns the serials it changed.
 */
export async function expireCertificates(ctx: AppContext, actor: Actor): Promise<string[]> {
  const auth = await authorize(ctx, actor, 'pki.admin', null);
  const now = ctx.now().toISOString();
  const due = await ctx.store.db
    .selectFrom('certificates')
    .select(['serial', 'status', 'revocation_reason'])
    .where('status', 'in', ['issued', 'valid', 'suspended'])
    .where('not_after', '<', now)
    .orderBy('serial')
    .execute();
  const done: string[] = [];
  for (const c of due) {
    const before = {
      status: c.status as CertificateStatus,
      reason: (c.revocation_reason as RevocationReason | null) ?? null,
    };
    const next = transition(before, { kind: 'expire' });
    if (!next.ok) continue;
    try {
      await changeWithAudit(ctx, actor, auth, ACTIONS.expire, async (trx) => {
        // Changed meanwhile (e.g. revoked): roll back, so no audit record claims an expiry.
        if (!(await writeCertificateStatus(trx, c, next.state, now))) throw new StatusMoved();
        return { result: null, targetType: 'certificate', targetId: c.serial, summary: { before, after: next.state } };
      });
    } catch (err) {
      if (err instanceof StatusMoved) continue;
      throw err;
    }
    done.push(c.serial);
  }
  return done;
}
