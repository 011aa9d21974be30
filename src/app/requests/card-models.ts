import { CARD_MODEL_KIND_LABELS, CARD_MODELS, type CardModelKind } from '../../domain/card-model.ts';
import type { CardModelTable } from '../../store/schema.ts';
import type { Actor, AppContext } from '../context.ts';
import type { Store } from '../../store/database.ts';

// The card models of the sources in `card_models`: inserted once per database, never duplicated
// (the code is unique; a model already there is left as the administrator set it).

const POPULATION_LABELS: Record<string, string> = {
  collectivites: 'Acteurs des Collectivités Territoriales',
  etat: "Acteurs de l'Administration de l'État",
  armees: 'Ministère des Armées',
};

const ensured = new WeakSet<Store>();

export async function ensureCardModels(ctx: AppContext): Promise<void> {
  if (ensured.has(ctx.store)) return;
  const now = ctx.now().toISOString();
  for (const m of CARD_MODELS) {
    await ctx.store.db
      .insertInto('card_models')
      .values({
        id: ctx.newId(),
        code: m.code,
        label: m.label,
        population: m.population,
        kind: m.kind,
        profiles: JSON.stringify([...m.profiles]),
        card_years: m.cardYears,
        status: 'active',
        created_at: now,
      })
      .onConflict((oc) => oc.column('code').doNothing())
      .execute();
  }
  ensured.add(ctx.store);
}

export function cardModelView(m: CardModelTable) {
  return {
    id: m.id,
    code: m.code,
    label: m.label,
    population: m.population,
    populationLabel: POPULATION_LABELS[m.population] ?? m.population,
    kind: m.kind,
    kindLabel: CARD_MODEL_KIND_LABELS[m.kind as CardModelKind] ?? m.kind,
    profiles: JSON.parse(m.profiles) as string[],
    cardYears: m.card_years,
    status: m.status,
  };
}

/** Reference data: every signed-in person may read it (the actor is taken for symmetry with the other use cases). */
export async function listCardModels(ctx: AppContext, _actor: Actor) {
  await ensureCardModels(ctx);
  const rows = await ctx.store.db.selectFrom('card_models').selectAll().orderBy('label').execute();
  return { items: rows.map(cardModelView) };
}

/** A model by id or code. */
export async function loadCardModel(ctx: AppContext, idOrCode: string): Promise<CardModelTable | undefined> {
  await ensureCardModels(ctx);
  return ctx.store.db
    .selectFrom('card_models')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrCode), eb('code', '=', idOrCode)]))
    .executeTakeFirst();
}
