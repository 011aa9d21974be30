// Renewal of the OCSP responder certificates. They last OCSP_VALIDITY_DAYS (30 days): a daily job
// gives each issuing CA a new responder (new key, certificate signed by the issuing CA) when the
// active one expires within `beforeDays`, then retires the old one. The OCSP sources of this process
// reload at once; other processes (cartes ocsp serve) pick the new responder up on their timer.
import * as x509 from '../../pki/x509.ts';
import { createOcspResponder, issuerRef, openServiceSigner, pkcs11TargetOf } from '../../pki/ca-init.ts';
import { dnText } from '../../pki/profiles.ts';
import { sha256Hex } from '../../pki/checker.ts';
import { authorize } from '../access/authorize.ts';
import { changeWithAudit } from '../audit-trail.ts';
import { invalid } from '../errors.ts';
import { reloadOcspSources } from './ocsp-responder.ts';
import { systemActor, type Actor, type AppContext } from '../context.ts';
import type { PkiEnvironment } from './certificates.ts';
import { keyPlace } from './key-place.ts';

export const OCSP_RENEW_BEFORE_DAYS = 10;

export interface OcspRenewal {
  caName: string;
  /** The retired responder (its new name), null when the CA had no active responder. */
  retired: { id: string; name: string; serial: string; notAfter: string } | null;
  /** The new active responder. */
  renewed: { id: string; name: string; serial: string; notBefore: string; notAfter: string; sha256: string };
}

export interface RenewOcspOptions {
  /** Renew when the active responder expires within this many days (default 10). */
  beforeDays?: number;
  /** Who renews (default: the system actor « ocsp-renewal »); must hold pki.admin. */
  actor?: Actor;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-').toLowerCase();

/**
 * For each active issuing CA whose active OCSP responder expires within `beforeDays` (or that has
 * none), creates a new responder and retires the previous one, in one audited transaction
 * ('pki.ocsp.renew'). The new responder takes the usual name (<ca>-ocsp); the retired one is renamed
 * <ca>-ocsp-<notAfter>. Returns what was renewed (nothing when all responders are fresh).
 */
export async function renewOcspResponders(
  ctx: AppContext,
  pki: PkiEnvironment,
  opts: RenewOcspOptions = {},
): Promise<OcspRenewal[]> {
  const beforeDays = opts.beforeDays ?? OCSP_RENEW_BEFORE_DAYS;
  if (!Number.isFinite(beforeDays) || beforeDays < 0 || beforeDays > 366)
    throw invalid(`Délai de renouvellement invalide : ${beforeDays} jour(s) (de 0 à 366).`);
  const actor = opts.actor ?? systemActor('ocsp-renewal');
  const auth = await authorize(ctx, actor, 'pki.admin', null);
  const now = ctx.now();
  const horizon = new Date(now.getTime() + beforeDays * 86_400_000).toISOString();
  const issuing = await ctx.store.db
    .selectFrom('certification_authorities')
    .selectAll()
    .where('kind', '=', 'issuing')
    .where('status', '=', 'active')
    .orderBy('name')
    .execute();
  const done: OcspRenewal[] = [];
  for (const ca of issuing) {
    const current = await ctx.store.db
      .selectFrom('certification_authorities')
      .selectAll()
      .where('kind', '=', 'ocsp')
      .where('parent_id', '=', ca.id)
      .where('status', '=', 'active')
      .orderBy('not_after', 'desc')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (current && current.not_after > horizon) continue;
    if (new Date(ca.not_after).getTime() <= now.getTime()) continue; // an expired CA gets no responder
    const caSigner = await openServiceSigner(keyPlace(ctx), ca.key_ref, pki.kek);
    const population = { name: ca.name, label: ca.label };
    const id = ctx.newId();
    const created = await createOcspResponder({
      ...keyPlace(ctx),
      id,
      kek: pki.kek,
      population,
      issuing: issuerRef(ca.name, new Uint8Array(ca.certificate_der), caSigner),
      now,
      settings: pki.settings,
      pkcs11: pkcs11TargetOf(current?.key_ref ?? ca.key_ref),
    });
    const cert = new x509.X509Certificate(created.der);
    const name = `${ca.name}-ocsp`;
    const renewed = {
      id,
      name,
      serial: cert.serialNumber,
      notBefore: created.notBefore.toISOString(),
      notAfter: created.notAfter.toISOString(),
      sha256: sha256Hex(created.der),
    };
    const oldSerial = current ? new x509.X509Certificate(new Uint8Array(current.certificate_der)).serialNumber : '';
    const retiredName = current
      ? `${name}-${stamp(new Date(current.not_after))}-${current.id.slice(0, 8).toLowerCase()}`
      : '';
    await changeWithAudit(ctx, actor, auth, 'pki.ocsp.renew', async (trx) => {
      // The old responder frees its name, the new one is inserted active, then the old one is
      // retired: all in this transaction, so there is always exactly one active responder.
      if (current)
        await trx
          .updateTable('certification_authorities')
          .set({ name: retiredName })
          .where('id', '=', current.id)
          .execute();
      await trx
        .insertInto('certification_authorities')
        .values({
          id,
          name,
          label: current?.label ?? `Répondeur OCSP — ${ca.label}`,
          kind: 'ocsp',
          parent_id: ca.id,
          subject_dn: dnText(created.subject),
          certificate_der: created.der,
          key_ref: JSON.stringify(created.keyRef),
          not_before: renewed.notBefore,
          not_after: renewed.notAfter,
          crl_number: 0,
          status: 'active',
          created_at: now.toISOString(),
        })
        .execute();
      if (current)
        await trx
          .updateTable('certification_authorities')
          .set({ status: 'retired' })
          .where('id', '=', current.id)
          .execute();
      return {
        result: null,
        targetType: 'certification_authority',
        targetId: id,
        summary: {
          before: current
            ? { id: current.id, name: retiredName, serial: oldSerial, notAfter: current.not_after, status: 'retired' }
            : null,
          after: { ca: ca.name, ...renewed, custody: created.keyRef.custody, status: 'active' },
        },
      };
    });
    done.push({
      caName: ca.name,
      retired: current ? { id: current.id, name: retiredName, serial: oldSerial, notAfter: current.not_after } : null,
      renewed,
    });
  }
  if (done.length) await reloadOcspSources(ctx);
  return done;
}
