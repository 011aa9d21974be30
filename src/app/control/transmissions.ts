import { createHash } from 'node:crypto';
import { appendAudit } from '../../store/audit.ts';
import { transmissionNumber } from '../../domain/control.ts';
import { euros } from '../../domain/case-file.ts';
import { transmissionLetterPdf } from '../../notify/control-pdf.ts';
import { auditEntry } from '../audit-trail.ts';
import { AppError, notFound } from '../errors.ts';
import { refuseAudited } from '../refusals.ts';
import { addEvents } from '../backoffice/files.ts';
import { text } from '../backoffice/input.ts';
import { drawNumbers } from '../backoffice/numbers.ts';
import type { Actor, AppContext } from '../context.ts';
import { authorizeOnBom, methodsOffice, refuseOwnWork, requireControlReader } from './access.ts';
import { loadControl } from './controls.ts';

// A file already paid and regular in form, but which the control finds possibly irregular on the
// merits (false declaration, irregular travel conditions…), is not judged by the centre: a copy goes
// to the verifying service of the unit that sent it (seed 003 §4.3.1), recorded with its letter.

const PAID = ['checked', 'transferred', 'archived'];

export async function transmitToVerifier(ctx: AppContext, actor: Actor, controlId: string, input: { grounds: string }) {
  const { control, file, centre } = await loadControl(ctx, controlId);
  const auth = await authorizeOnBom(ctx, actor, 'control.perform', centre, { type: 'control', id: controlId });
  await refuseOwnWork(ctx, actor, 'control.transmit', file);
  const target = { type: 'control', id: controlId };
  if (control.status !== 'controlled')
    await refuseAudited(
      ctx,
      actor,
      'control.transmit',
      centre.id,
      target,
      'Le dossier doit d’abord être contrôlé.',
      'conflict',
    );
  if (!PAID.includes(file.status) || file.amount_cents === null)
    await refuseAudited(
      ctx,
      actor,
      'control.transmit',
      centre.id,
      target,
      'Seul un dossier déjà liquidé et payé se transmet au service vérificateur.',
      'conflict',
    );
  const checks = await ctx.store.db
    .selectFrom('case_file_checks')
    .select('state')
    .where('case_file_id', '=', file.id)
    .execute();
  if (checks.some((c) => c.state !== 'ok' && c.state !== 'resolved'))
    await refuseAudited(
      ctx,
      actor,
      'control.transmit',
      centre.id,
      target,
      'Ce dossier n’est pas régulier en la forme : il relève d’une fiche de contrôle, non du service vérificateur.',
      'conflict',
    );
  const grounds = text('grounds', input.grounds, 4000, { required: true, multiline: true });
  const unit = await ctx.store.db
    .selectFrom('organizations')
    .select(['id', 'name', 'address_line', 'postal_code', 'city'])
    .where('id', '=', file.sending_organization_id)
    .executeTakeFirst();
  if (!unit) throw notFound('Formation expéditrice introuvable.');
  const now = ctx.now();
  const id = ctx.newId();
  const number = await ctx.store.db.transaction().execute(async (trx) => {
    const year = now.getUTCFullYear();
    const [n] = await drawNumbers(trx, ctx.store, `control_transmission:${year}`, 1);
    const number = transmissionNumber(year, n!);
    const kind = await trx
      .selectFrom('case_file_kinds')
      .select('label')
      .where('code', '=', file.kind_code)
      .executeTakeFirst();
    const pdf = await transmissionLetterPdf({
      centreName: centre.name,
      centreAddress: [centre.addressLine, [centre.postalCode, centre.city].filter(Boolean).join(' ')]
        .filter(Boolean)
        .join(', '),
      bomName: methodsOffice(centre).name,
      number,
      unitName: unit.name,
      unitAddress: [unit.address_line, [unit.postal_code, unit.city].filter(Boolean).join(' ')]
        .filter(Boolean)
        .join('\n'),
      fileNumber: file.number,
      kindLabel: kind?.label ?? file.kind_code,
      personName: file.person_name,
      unitReference: file.unit_reference,
      amount: euros(Number(file.amount_cents)),
      transferredAt: file.transferred_at,
      grounds,
      signedBy: actor.kind === 'person' ? actor.displayName : 'Plateforme',
      date: now,
    });
    await trx
      .insertInto('control_transmissions')
      .values({
        id,
        number,
        centre_id: centre.id,
        case_file_id: file.id,
        control_id: controlId,
        recipient_organization_id: unit.id,
        grounds,
        pdf,
        sha256: createHash('sha256').update(pdf).digest('hex'),
        created_by: auth.actorId,
        created_at: now.toISOString(),
      })
      .execute();
    await addEvents(trx, ctx, file.id, [
      {
        type: 'verifier_transmission',
        actorId: auth.actorId,
        officeId: methodsOffice(centre).id,
        data: { number, recipient: unit.name },
      },
    ]);
    await appendAudit(
      trx,
      ctx.store,
      auditEntry(ctx, actor, auth, 'control.transmit', {
        targetType: 'controlTransmission',
        targetId: id,
        summary: { number, file: file.number, recipient: unit.id, grounds },
      }),
    );
    return number;
  });
  return { id, number, recipient: { id: unit.id, name: unit.name }, createdAt: now.toISOString() };
}

export async function transmissionDocument(ctx: AppContext, actor: Actor, id: string) {
  const row = await ctx.store.db
    .selectFrom('control_transmissions')
    .select(['pdf', 'number', 'centre_id', 'control_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Transmission introuvable.');
  const { centre } = row.control_id ? await loadControl(ctx, row.control_id) : { centre: null as never };
  if (!centre) throw new AppError('not_found', 'Transmission introuvable.');
  await requireControlReader(ctx, actor, centre, { type: 'controlTransmission', id });
  return { bytes: Buffer.from(row.pdf), fileName: `transmission-${row.number}.pdf` };
}
