// The root CA's CRL (issue 13: 4). The issuing CAs' certificates point to /pki/crl/root.crl: without
// it no relying party can learn whether an issuing CA is revoked, and strict verifiers (Java PKIX,
// NSS, `openssl verify -crl_check_all`) refuse every card certificate. The root is an offline CA:
// its key opens only with the two custodians' secrets, so its CRL is signed at the key ceremony and
// then at a renewal ceremony (`cartes ca root-crl`), with a long validity; a reminder goes to the
// national administrators before it expires. CRLs are kept in the database (offline_crls), the
// newest one is served.
import * as x509 from '../../pki/x509.ts';
import { custodianSecretFaults, KekError, openRootSigner } from '../../pki/ca-init.ts';
import { buildCrl, type RevokedEntry, type RevocationReason } from '../../pki/crl-writer.ts';
import type { Signer } from '../../pki/keystore.ts';
import { KeyStoreError } from '../../pki/keystore.ts';
import { REASON_LABELS } from '../../domain/certificate-status.ts';
import { appendAudit } from '../../store/audit.ts';
import type { CertificationAuthorityTable, Database } from '../../store/schema.ts';
import type { Kysely, Transaction } from 'kysely';
import { authorize } from '../access/authorize.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { queueMail } from '../mail.ts';
import type { Actor, AppContext } from '../context.ts';

/** An offline root's CRL is valid one year (renewed at a ceremony well before). */
export const ROOT_CRL_VALIDITY_DAYS = 365;
/** The national administrators are reminded this many days before it expires (then weekly). */
export const ROOT_CRL_REMINDER_DAYS = 60;
const REMINDER_EVERY_DAYS = 7;

/** Reasons an issuing CA may be revoked for by the root. */
export const CA_REVOCATION_REASONS = ['cACompromise', 'keyCompromise', 'superseded', 'cessationOfOperation'] as const;
export type CaRevocationReason = (typeof CA_REVOCATION_REASONS)[number];

const frDate = (d: Date | string) => new Date(d).toLocaleDateString('fr-FR', { timeZone: 'UTC' });

type Db = Kysely<Database> | Transaction<Database>;

async function rootAuthority(db: Db): Promise<CertificationAuthorityTable> {
  const root = await db
    .selectFrom('certification_authorities')
    .selectAll()
    .where('kind', '=', 'root')
    .executeTakeFirst();
  if (!root)
    throw new AppError('conflict', "Aucune AC racine : lancez d'abord la cérémonie des clés (cartes ca init).");
  return root;
}

export interface RootCrlInfo {
  crlNumber: number;
  thisUpdate: string;
  nextUpdate: string;
  entries: number;
}

/**
 * Signs the root's next CRL with its opened key and stores it, in the caller's transaction: the
 * issuing CAs the root revoked, nothing else (the root certifies only them).
 */
export async function writeRootCrl(
  ctx: AppContext,
  trx: Transaction<Database>,
  root: Pick<CertificationAuthorityTable, 'id' | 'certificate_der'>,
  signer: Signer,
): Promise<RootCrlInfo> {
  const cert = new x509.X509Certificate(new Uint8Array(root.certificate_der));
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  let q = trx.selectFrom('certification_authorities').select('crl_number').where('id', '=', root.id);
  if (ctx.store.dialect === 'postgres') q = q.forUpdate();
  const crlNumber = (await q.executeTakeFirstOrThrow()).crl_number + 1;
  const revoked = await trx
    .selectFrom('certification_authorities')
    .select(['certificate_der', 'revoked_at', 'revocation_reason'])
    .where('parent_id', '=', root.id)
    .where('status', '=', 'revoked')
    .orderBy('name')
    .execute();
  const entries: RevokedEntry[] = revoked.map((r) => ({
    serialHex: new x509.X509Certificate(new Uint8Array(r.certificate_der)).serialNumber,
    revokedAt: new Date(r.revoked_at ?? 0),
    reason: (r.revocation_reason ?? 'unspecified') as RevocationReason,
  }));
  const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + ROOT_CRL_VALIDITY_DAYS * 86_400_000);
  const der = await buildCrl({
    issuer: new Uint8Array(cert.subjectName.toArrayBuffer()),
    thisUpdate,
    nextUpdate,
    entries,
    authorityKeyIdentifier: new Uint8Array(Buffer.from(ski?.keyId ?? '', 'hex')),
    crlNumber: BigInt(crlNumber),
    signer,
  });
  await trx.updateTable('certification_authorities').set({ crl_number: crlNumber }).where('id', '=', root.id).execute();
  await trx
    .insertInto('offline_crls')
    .values({
      ca_id: root.id,
      crl_number: crlNumber,
      der,
      this_update: thisUpdate.toISOString(),
      next_update: nextUpdate.toISOString(),
      entries: entries.length,
      created_at: ctx.now().toISOString(),
    })
    .execute();
  return {
    crlNumber,
    thisUpdate: thisUpdate.toISOString(),
    nextUpdate: nextUpdate.toISOString(),
    entries: entries.length,
  };
}

export interface RootCrlCeremonyInput {
  /** The two custodians' secrets, in the order of the key ceremony. */
  custodianSecrets: string[];
  /** Revoke this issuing CA in the same ceremony (its certificates can no longer be trusted). */
  revoke?: { caName: string; reason: string };
}

/**
 * Renewal ceremony of the root's CRL: the custodians open the root key together, the CRL is signed
 * (with, when asked, the revocation of an issuing CA) and stored; the key is closed again.
 */
export async function signRootCrl(
  ctx: AppContext,
  actor: Actor,
  input: RootCrlCeremonyInput,
): Promise<RootCrlInfo & { report: string[] }> {
  const auth = await authorize(ctx, actor, 'pki.admin', null);
  const faults = custodianSecretFaults(input.custodianSecrets);
  if (faults.length)
    throw invalid(
      'La cérémonie ne peut pas commencer.',
      faults.map((reason) => ({ field: 'ceremonie', reason })),
    );
  const root = await rootAuthority(ctx.store.db);
  let revoke: { id: string; name: string; reason: CaRevocationReason } | null = null;
  if (input.revoke) {
    const reason = input.revoke.reason as CaRevocationReason;
    if (!CA_REVOCATION_REASONS.includes(reason))
      throw invalid(`Motif de révocation d'une AC inconnu : « ${input.revoke.reason} ».`, [
        { field: 'reason', reason: `Motifs : ${CA_REVOCATION_REASONS.join(', ')}.` },
      ]);
    const ca = await ctx.store.db
      .selectFrom('certification_authorities')
      .select(['id', 'name', 'status', 'parent_id'])
      .where('name', '=', input.revoke.caName)
      .executeTakeFirst();
    if (!ca || ca.parent_id !== root.id)
      throw notFound(
        `AC émettrice inconnue : « ${input.revoke.caName} » (l'AC racine ne certifie que ses AC émettrices).`,
      );
    if (ca.status === 'revoked') throw new AppError('conflict', `L'AC « ${ca.name} » est déjà révoquée.`);
    revoke = { id: ca.id, name: ca.name, reason };
  }
  let signer: Signer;
  try {
    const [a, b] = input.custodianSecrets as [string, string];
    signer = await openRootSigner(ctx.dataDir, root.key_ref, [a, b]);
  } catch (err) {
    if (err instanceof KeyStoreError || err instanceof KekError)
      throw new AppError(
        'forbidden',
        "La clé de l'AC racine ne s'ouvre pas avec ces secrets : les deux dépositaires doivent donner chacun le sien, dans l'ordre de la cérémonie des clés.",
      );
    throw err;
  }
  const now = ctx.now().toISOString();
  const info = await ctx.store.db.transaction().execute(async (trx) => {
    if (revoke) {
      await trx
        .updateTable('certification_authorities')
        .set({ status: 'revoked', revoked_at: now, revocation_reason: revoke.reason })
        .where('id', '=', revoke.id)
        .execute();
      await appendAudit(trx, ctx.store, {
        at: now,
        actorId: auth.actorId,
        actorRole: auth.role,
        organizationId: null,
        action: 'pki.ca.revoke',
        outcome: 'ok',
        targetType: 'certification_authority',
        targetId: revoke.id,
        summary: { name: revoke.name, reason: revoke.reason },
      });
    }
    const written = await writeRootCrl(ctx, trx, root, signer);
    await appendAudit(trx, ctx.store, {
      at: now,
      actorId: auth.actorId,
      actorRole: auth.role,
      organizationId: null,
      action: 'pki.root-crl.sign',
      outcome: 'ok',
      targetType: 'certification_authority',
      targetId: root.id,
      summary: { ...written, dualControl: true },
    });
    return written;
  });
  const report = [
    `CRL de l'AC racine n° ${info.crlNumber} signée sous double contrôle : ${info.entries} AC révoquée(s), valable jusqu'au ${frDate(info.nextUpdate)}.`,
    ...(revoke
      ? [
          `AC « ${revoke.name} » révoquée (motif : ${REASON_LABELS[revoke.reason]}) : ses certificats ne sont plus reconnus.`,
        ]
      : []),
    `Publiée à l'adresse /pki/crl/${root.name}.crl ; à renouveler avant le ${frDate(info.nextUpdate)} (cartes ca root-crl).`,
  ];
  return { ...info, report };
}

/** The newest CRL of an offline CA by name (the root), or null (not one, or none signed yet). */
export async function offlineCrlDer(ctx: AppContext, caName: string): Promise<Uint8Array | null> {
  const row = await ctx.store.db
    .selectFrom('offline_crls as c')
    .innerJoin('certification_authorities as ca', 'ca.id', 'c.ca_id')
    .select(['c.der'])
    .where('ca.name', '=', caName)
    .where('ca.kind', '=', 'root')
    .orderBy('c.crl_number', 'desc')
    .executeTakeFirst();
  return row ? new Uint8Array(row.der) : null;
}

/** Whether `caName` is the root (its CRL is never published on demand: it needs the custodians). */
export async function isRootName(ctx: AppContext, caName: string): Promise<boolean> {
  const row = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('kind')
    .where('name', '=', caName)
    .executeTakeFirst();
  return row?.kind === 'root';
}

export interface RootCrlStatus {
  crlNumber: number | null;
  nextUpdate: string | null;
  /** Days left (negative: expired); null when none was ever signed. */
  daysLeft: number | null;
}

export async function rootCrlStatus(ctx: AppContext): Promise<RootCrlStatus | null> {
  const root = await ctx.store.db
    .selectFrom('certification_authorities')
    .select('id')
    .where('kind', '=', 'root')
    .executeTakeFirst();
  if (!root) return null;
  const last = await ctx.store.db
    .selectFrom('offline_crls')
    .select(['crl_number', 'next_update'])
    .where('ca_id', '=', root.id)
    .orderBy('crl_number', 'desc')
    .executeTakeFirst();
  if (!last) return { crlNumber: null, nextUpdate: null, daysLeft: null };
  return {
    crlNumber: last.crl_number,
    nextUpdate: last.next_update,
    daysLeft: Math.floor((Date.parse(last.next_update) - ctx.now().getTime()) / 86_400_000),
  };
}

/**
 * Daily pass: when the root's CRL expires within ROOT_CRL_REMINDER_DAYS (or was never signed), the
 * national administrators get a mail, at most once a week, and the reminder is audited. Returns the
 * number of mails queued.
 */
export async function remindRootCrl(ctx: AppContext): Promise<number> {
  const status = await rootCrlStatus(ctx);
  if (!status || (status.daysLeft !== null && status.daysLeft > ROOT_CRL_REMINDER_DAYS)) return 0;
  const since = new Date(ctx.now().getTime() - REMINDER_EVERY_DAYS * 86_400_000).toISOString();
  const recent = await ctx.store.db
    .selectFrom('audit_log')
    .select('seq')
    .where('action', '=', 'pki.root-crl.reminder')
    .where('at', '>', since)
    .executeTakeFirst();
  if (recent) return 0;
  const admins = await ctx.store.db
    .selectFrom('role_assignments as r')
    .innerJoin('agents as a', 'a.id', 'r.agent_id')
    .select(['a.email'])
    .where('r.role', '=', 'admin')
    .where('r.revoked_at', 'is', null)
    .where('a.status', '=', 'active')
    .where('a.email', 'is not', null)
    .execute();
  const recipients = [...new Set(admins.map((a) => a.email!))];
  const when =
    status.nextUpdate === null
      ? "n'a encore jamais été signée"
      : status.daysLeft! < 0
        ? `a expiré le ${frDate(status.nextUpdate)} : les vérificateurs stricts refusent désormais toutes les cartes`
        : `expire le ${frDate(status.nextUpdate)} (dans ${status.daysLeft} jour(s))`;
  await ctx.store.db.transaction().execute(async (trx) => {
    for (const to of recipients)
      await queueMail(ctx, trx, {
        to,
        subject: "Cérémonie à prévoir : renouvellement de la CRL de l'AC racine",
        text: `Bonjour,\n\nLa liste de révocation (CRL) de l'AC racine ${when}.\n\nRéunissez les deux dépositaires des secrets de l'AC racine pour la signer de nouveau :\n  npx cartes ca root-crl\n\nSans CRL de l'AC racine en cours de validité, les vérificateurs qui contrôlent toute la chaîne refusent les certificats des cartes.\n\nCartes Agents`,
      });
    await appendAudit(trx, ctx.store, {
      at: ctx.now().toISOString(),
      actorId: 'system:root-crl',
      actorRole: 'system',
      organizationId: null,
      action: 'pki.root-crl.reminder',
      outcome: 'ok',
      targetType: 'pki',
      targetId: 'root-crl',
      summary: { ...status, recipients: recipients.length },
    });
  });
  return recipients.length;
}
