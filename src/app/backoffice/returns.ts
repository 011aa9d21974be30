import { createHash } from 'node:crypto';
import { appendAudit } from '../../store/audit.ts';
import { returnLetterPdf } from '../../notify/backoffice-pdf.ts';
import { auditEntry } from '../audit-trail.ts';
import { invalid } from '../errors.ts';
import { queueMail } from '../mail.ts';
import type { Actor, AppContext } from '../context.ts';
import { authorizeIn, liaisonOffice, refuseOwnFile } from './access.ts';
import { addEvents, fileContext, getCaseFile, requireMoveAudited, updateFile } from './files.ts';
import { text } from './input.ts';

// A file the processing offices cannot use goes back to its unit with a letter giving the reasons
// (seed 003 §2.2 and §3.2), only when what is missing cannot be obtained by a simple contact. The
// return is counted (returned_at: the « taux de dossiers retournés aux formations » of annex II).

function address(o: { address_line: string | null; postal_code: string | null; city: string | null }): string {
  return [o.address_line, [o.postal_code, o.city].filter(Boolean).join(' ')].filter(Boolean).join('\n');
}

export async function returnFile(
  ctx: AppContext,
  actor: Actor,
  fileId: string,
  input: { reasons: string[]; note?: string | null },
) {
  const { file, centre, kind } = await fileContext(ctx, fileId);
  const liaison = liaisonOffice(centre);
  const auth = await authorizeIn(ctx, actor, 'caseFile.intake', centre, liaison, { type: 'caseFile', id: fileId });
  await refuseOwnFile(ctx, actor, 'caseFile.return', file);
  if (file.family !== 'unit')
    throw invalid('Un dossier de carte ne se renvoie pas : il suit les étapes de la carte.', [
      { field: 'fileId', reason: 'Dossier de carte.' },
    ]);
  await requireMoveAudited(ctx, actor, 'caseFile.return', file, 'returned', kind);
  if (!Array.isArray(input.reasons) || input.reasons.length === 0 || input.reasons.length > 20)
    throw invalid('Indiquez au moins un motif de renvoi.', [{ field: 'reasons', reason: 'De 1 à 20 motifs.' }]);
  const reasons = input.reasons.map((r, i) => text(`reasons[${i}]`, r, 300, { required: true }));
  const note = text('note', input.note, 1000, { multiline: true });
  const db = ctx.store.db;
  const unit = await db
    .selectFrom('organizations')
    .select(['name', 'address_line', 'postal_code', 'city'])
    .where('id', '=', file.sending_organization_id)
    .executeTakeFirstOrThrow();
  const slip = file.slip_id
    ? await db.selectFrom('transmittal_slips').selectAll().where('id', '=', file.slip_id).executeTakeFirst()
    : undefined;
  const signer = actor.kind === 'person' ? actor.displayName : 'Le bureau de liaison';
  const now = ctx.now();
  const pdf = await returnLetterPdf({
    centreName: centre.name,
    centreAddress: address({
      address_line: centre.addressLine,
      postal_code: centre.postalCode,
      city: centre.city,
    }).replace(/\n/g, ', '),
    liaisonOfficeName: liaison.name,
    unitName: unit.name,
    unitAddress: address(unit),
    contactName: slip?.contact_name ?? null,
    fileNumber: file.number,
    kindLabel: kind.label,
    personName: file.person_name,
    personIdentifier: file.person_identifier,
    unitReference: file.unit_reference,
    slipNumber: slip?.number ?? null,
    slipUnitReference: slip?.unit_reference ?? null,
    slipDate: slip?.slip_date ?? null,
    receivedAt: file.received_at,
    reasons,
    note,
    signedBy: signer,
    date: now,
  });
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  const letterId = ctx.newId();
  await db.transaction().execute(async (trx) => {
    await updateFile(trx, ctx, file, {
      status: 'returned',
      returned_at: now.toISOString(),
      return_reasons: JSON.stringify(reasons),
    });
    await trx
      .insertInto('case_file_letters')
      .values({
        id: letterId,
        case_file_id: fileId,
        kind: 'return',
        pdf,
        sha256,
        created_by: auth.actorId,
        created_at: now.toISOString(),
      })
      .execute();
    await addEvents(trx, ctx, fileId, [
      { type: 'returned', actorId: auth.actorId, officeId: liaison.id, data: { reasons, note, letter: letterId } },
    ]);
    if (slip?.contact_email)
      await queueMail(ctx, trx, {
        to: slip.contact_email,
        subject: `Renvoi du dossier ${file.number} (${file.person_name})`,
        text: [
          'Madame, Monsieur,',
          '',
          `Le dossier ${file.number} (${kind.label}) de ${file.person_name}${file.unit_reference ? `, votre référence ${file.unit_reference}` : ''}, reçu avec le bordereau ${slip.unit_reference}, vous est renvoyé pour les motifs suivants :`,
          ...reasons.map((r) => `  - ${r}`),
          ...(note ? ['', `Observation : ${note}`] : []),
          '',
          'Le courrier de renvoi accompagne le dossier. Merci de nous le retourner complété avec un nouveau bordereau d’envoi.',
          '',
          `${liaison.name} — ${centre.name}`,
        ].join('\n'),
      });
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'caseFile.return', {
        targetType: 'caseFile',
        targetId: fileId,
        summary: { before: { status: file.status }, after: { status: 'returned' }, reasons, note },
        evidence: [`letter:sha256:${sha256}`],
      }),
    );
  });
  return getCaseFile(ctx, actor, fileId);
}
