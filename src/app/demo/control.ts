import { addToMonth, monthRange, previousQuarter, quarterOf, quarterRange } from '../../domain/control.ts';
import { personActor } from '../access/sessions.ts';
import type { Actor, AppContext } from '../context.ts';
import { DEMO_CENTRE_CODE } from './backoffice.ts';
import { drawControlSample, setControlPlan, type PlanLineInput } from '../control/plans.ts';
import { recordControl } from '../control/controls.ts';
import { openSheet, sheetStep } from '../control/sheets.ts';
import { establishSynthesis } from '../control/syntheses.ts';
import { deontologicalPass } from '../control/deontology.ts';

// Demonstration of the internal control (seed 003 §4) over the demonstration year of the back
// office: the three past months each with a plan, a drawn sample, controls, one sheet through all its
// visas and the month's synthesis (the same anomaly three months running: a proposal of deepened
// control); this month's plan and sample, one file controlled with a sheet waiting for the head of
// centre's visa; and last quarter's deontological control over files made for the centre's staff.

const person = personActor;

const at = (ctx: AppContext, iso: string): AppContext => ({ ...ctx, now: () => new Date(iso) });

const CONFORM = { verdict: 'conform' } as const;

export async function loadDemoControl(ctx: AppContext): Promise<{ created: number }> {
  const db = ctx.store.db;
  const centre = await db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', DEMO_CENTRE_CODE)
    .executeTakeFirst();
  if (!centre) return { created: 0 };
  if (await db.selectFrom('control_plans').select('id').where('centre_id', '=', centre.id).executeTakeFirst())
    return { created: 0 };
  if (!(await db.selectFrom('case_files').select('id').where('centre_id', '=', centre.id).executeTakeFirst()))
    return { created: 0 };
  const offices = await db
    .selectFrom('backoffice_offices')
    .select(['organization_id', 'code'])
    .where('centre_id', '=', centre.id)
    .execute();
  const office = (code: string) => offices.find((o) => o.code === code)!.organization_id;
  const head = await person(ctx, 'prigent.y.camid');
  const controller = await person(ctx, 'salaun.j.camid');
  const bomHead = await person(ctx, 'kerjean.c.camid');
  const heads: Record<string, Actor> = {
    [office('BT1')]: await person(ctx, 'quere.h.camid'),
    [office('BT2')]: await person(ctx, 'jaouen.p.camid'),
  };
  const lines: PlanLineInput[] = [
    { kindCode: 'fd_mission', officeId: office('BT1'), errorPotential: 2, amountStakes: 2 },
    { kindCode: 'fd_stage', officeId: office('BT1'), errorPotential: 1, amountStakes: 1 },
    { kindCode: 'fd_mutation', officeId: office('BT2'), errorPotential: 3, amountStakes: 3 },
  ];
  const now = ctx.now().toISOString();
  const thisMonth = now.slice(0, 7);
  let created = 0;

  /** Controls the drawn files of a plan: the first fd_mission file with an anomaly, the others conform. */
  async function controlSome(c: AppContext, plan: Awaited<ReturnType<typeof drawControlSample>>, count: number) {
    let anomalyControl: string | null = null;
    const todo = plan.controls.filter((x) => x.status === 'to_control').slice(0, count);
    for (const x of todo) {
      const anomaly = anomalyControl === null && x.kindLabel.toLowerCase().includes('mission');
      await recordControl(c, controller, x.id, {
        verdicts: {
          evidence: CONFORM,
          coherence: CONFORM,
          rules: anomaly
            ? {
                verdict: 'anomaly',
                note: 'Indemnité journalière calculée au taux de la zone de résidence et non à celui du lieu de mission.',
              }
            : CONFORM,
        },
      });
      if (anomaly) anomalyControl = x.id;
      created++;
    }
    return anomalyControl;
  }

  // The three months before this one, each closed with its synthesis.
  for (let m = 3; m >= 1; m--) {
    const period = addToMonth(thisMonth, -m);
    const start = monthRange(period).start;
    const day = (d: number, h = 9) => new Date(Date.parse(start) + (d - 1) * 86_400_000 + h * 3_600_000).toISOString();
    const plan = await setControlPlan(at(ctx, day(2)), head, { centreId: centre.id, period, lines });
    const drawn = await drawControlSample(at(ctx, day(28)), controller, plan.id);
    const c = at(ctx, day(28, 14));
    const anomaly = await controlSome(c, drawn, 6);
    if (anomaly) {
      const sheet = await openSheet(c, controller, anomaly, {
        object: 'rules',
        rule: 'wrong_rate',
        findings:
          'Taux de l’indemnité journalière de mission mal appliqué : zone de résidence retenue au lieu du lieu de mission.',
      });
      await sheetStep(at(ctx, day(28, 16)), bomHead, sheet.id, 'bomVisa', { note: 'Vu, à transmettre au bureau.' });
      const officeHead = sheet.office ? heads[sheet.office.id] : undefined;
      if (officeHead) {
        await sheetStep(at(ctx, addDays(day(28, 10), 2)), officeHead, sheet.id, 'followUp', {
          followUp: 'Décompte rectifié et rappel de la règle fait aux décompteurs du bureau.',
        });
        await sheetStep(at(ctx, addDays(day(28, 11), 3)), head, sheet.id, 'centreVisa', { note: 'Vu.' });
        await sheetStep(at(ctx, addDays(day(28, 15), 3)), controller, sheet.id, 'archive');
      }
      created++;
    }
    await establishSynthesis(at(ctx, addDays(monthRange(period).end, 1)), controller, {
      centreId: centre.id,
      period,
    });
    created++;
  }

  // This month: the plan, the sample drawn, one file controlled with a sheet part-way through its visas.
  const plan = await setControlPlan(ctx, head, { centreId: centre.id, period: thisMonth, lines });
  const drawn = await drawControlSample(ctx, controller, plan.id);
  created++;
  const anomaly = await controlSome(ctx, drawn, 3);
  if (anomaly) {
    const sheet = await openSheet(ctx, controller, anomaly, {
      object: 'rules',
      rule: 'wrong_rate',
      findings: 'Taux de l’indemnité journalière de mission mal appliqué (zone de résidence retenue).',
    });
    await sheetStep(ctx, bomHead, sheet.id, 'bomVisa', { note: null });
    const officeHead = sheet.office ? heads[sheet.office.id] : undefined;
    if (officeHead)
      await sheetStep(ctx, officeHead, sheet.id, 'followUp', {
        followUp: 'Décompte rectifié ; ordre de reversement du trop-perçu demandé au centre payeur.',
      });
    created++;
  }

  // Last quarter: a few files made for the centre's own staff, then the deontological control.
  const quarter = previousQuarter(quarterOf(now));
  const { start, end } = quarterRange(quarter);
  const staff = await db
    .selectFrom('agents')
    .select(['id', 'first_names', 'last_name', 'identifier'])
    .where('identifier', 'in', ['guillou.r.camid', 'cadiou.a.camid', 'salaun.j.camid'])
    .execute();
  const candidates = await db
    .selectFrom('case_files')
    .select('id')
    .where('centre_id', '=', centre.id)
    .where('family', '=', 'unit')
    .where('processed_at', '>=', start)
    .where('processed_at', '<', end)
    .orderBy('number')
    .limit(staff.length * 2)
    .execute();
  for (const [i, f] of candidates.entries()) {
    const s = staff[i % staff.length]!;
    await db
      .updateTable('case_files')
      .set({ agent_id: s.id, person_name: `${s.first_names} ${s.last_name}`, person_identifier: s.identifier })
      .where('id', '=', f.id)
      .execute();
  }
  const deontology = await deontologicalPass(ctx, { quarter });
  created += deontology.reduce((n, d) => n + d.files, 0);
  return { created };
}

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * 86_400_000).toISOString();
}
