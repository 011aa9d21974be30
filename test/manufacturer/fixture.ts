// A batch as card requests and batch validation leave it (state « validated », requests
// « validated »), made directly in the database so production tests can use hundreds of holders.
import { ensureCardModels } from '../../src/app/requests/card-models.ts';
import type { TestPlatform } from '../support/platform.ts';
import { agentRow, batchRow, letters, requestRow } from '../support/rows.ts';

let counter = 0;

export interface FixtureBatch {
  batchId: string;
  number: string;
  requestIds: string[];
  /** Request id of each holder identifier. */
  byIdentifier: Map<string, string>;
}

/** Extra holders in an organisation (with photo unless told), for big batches. */
export async function addHolders(p: TestPlatform, orgCode: string, count: number, prefix = 'prod'): Promise<string[]> {
  const org = await p.store.db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', orgCode)
    .executeTakeFirstOrThrow();
  const now = p.ctx.now().toISOString();
  const ids: string[] = [];
  const rows = Array.from({ length: count }, (_, i) => {
    const identifier = `${prefix}-${process.pid}-${++counter}-${i}`;
    ids.push(identifier);
    return agentRow(now, {
      id: p.ctx.newId(),
      organization_id: org.id,
      identifier,
      last_name: `Porteur ${letters(i)}`,
      first_names: 'Test',
      sex: 'F',
      birth_date: '1985-01-01',
      birth_place: 'Brest',
      email: `${identifier}@exemple.fr`,
      identity_verified: 1,
      has_photo: 1,
      search_text: `porteur ${letters(i).toLowerCase()} test ${identifier}`,
    });
  });
  for (let i = 0; i < rows.length; i += 50)
    await p.store.db
      .insertInto('agents')
      .values(rows.slice(i, i + 50))
      .execute();
  return ids;
}

export async function validatedBatch(
  p: TestPlatform,
  orgCode: string,
  identifiers: string[],
  modelCode = 'cims-agent',
): Promise<FixtureBatch> {
  await ensureCardModels(p.ctx);
  const model = await p.store.db
    .selectFrom('card_models')
    .select('id')
    .where('code', '=', modelCode)
    .executeTakeFirstOrThrow();
  const org = await p.store.db
    .selectFrom('organizations')
    .select('id')
    .where('code', '=', orgCode)
    .executeTakeFirstOrThrow();
  const agents = await p.store.db
    .selectFrom('agents')
    .select(['id', 'identifier', 'organization_id'])
    .where('identifier', 'in', identifiers)
    .execute();
  const now = p.ctx.now().toISOString();
  const batchId = p.ctx.newId();
  const n = ++counter;
  const number = `L-T${process.pid}-${n}`;
  await p.store.db
    .insertInto('request_batches')
    .values(batchRow(now, { id: batchId, number, organization_id: org.id, state: 'validated', validated_at: now }))
    .execute();
  const byIdentifier = new Map<string, string>();
  const rows = identifiers.map((identifier, i) => {
    const agent = agents.find((a) => a.identifier === identifier);
    if (!agent) throw new Error(`test setup: no agent ${identifier}`);
    const id = p.ctx.newId();
    byIdentifier.set(identifier, id);
    return requestRow(now, {
      id,
      number: `D-T${process.pid}-${n}-${i}`,
      agent_id: agent.id,
      organization_id: agent.organization_id,
      model_id: model.id,
      state: 'validated',
      batch_id: batchId,
    });
  });
  for (let i = 0; i < rows.length; i += 50)
    await p.store.db
      .insertInto('card_requests')
      .values(rows.slice(i, i + 50))
      .execute();
  return { batchId, number, requestIds: rows.map((r) => r.id), byIdentifier };
}

/** Text drawn on the pages of a PDF made with pdf-lib's standard fonts (hex strings, WinAnsi: Latin-1 plus ’ and •). */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const { inflateSync } = await import('node:zlib');
  const raw = Buffer.from(bytes).toString('latin1');
  const out: string[] = [];
  const re = /stream\r?\n([\s\S]*?)endstream/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(m[1]!, 'latin1')).toString('latin1');
    } catch {
      content = m[1]!;
    }
    for (const h of content.matchAll(/<([0-9A-Fa-f]+)>\s*Tj/g))
      out.push(Buffer.from(h[1]!, 'hex').toString('latin1').replace(/\x92/g, '\u2019').replace(/\x95/g, '\u2022'));
  }
  return out.join('\n');
}
