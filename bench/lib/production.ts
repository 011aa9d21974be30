// Production part of `npm run bench -- issue`: N cards made through the exchange with the simulated
// manufacturer, as `cartes manufacturer run` does it: order written, keys generated ON virtual
// cards, production report, cards recorded with their certificates (one transaction per chunk),
// certificates sent back and written into the cards, activation codes and letters (PDF), shipping
// notice. Timed from the order to the closed batch; the simulator's share is timed on its own.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Insertable } from 'kysely';
import { openPlatform } from '../../src/platform.ts';
import { loadDemoData } from '../../src/app/demo/directory.ts';
import { ensureCardModels } from '../../src/app/requests/card-models.ts';
import { systemActor } from '../../src/app/context.ts';
import { timeOrderedId } from '../../src/app/ids.ts';
import { initPki, pkiEnvironment } from '../../src/app/pki/certificates.ts';
import { productionEnvironment } from '../../src/app/requests/production.ts';
import { localSimulator, productionRound } from '../../src/cli/manufacturer.ts';
import type { Simulator } from '../../src/manufacturer/simulator.ts';
import type { AgentTable, CardRequestTable } from '../../src/store/schema.ts';
import { verifyAuditChain } from '../../src/store/audit.ts';
import { fmtInt, pct } from './bounds.ts';
import { agentRow, batchRow, letters, requestRow } from '../../test/support/rows.ts';

export interface ProductionResult {
  label: string;
  cards: number;
  certificates: number;
  seconds: number;
  simulatorSeconds: number;
  peerSigsPerS: number;
}

const TARGET_RATIO = 0.1;

function rawSignaturesPerSecond(): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = randomBytes(600);
  for (let i = 0; i < 200; i++) sign('sha256', data, privateKey);
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < 2000) {
    for (let i = 0; i < 100; i++) sign('sha256', data, privateKey);
    n += 100;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

/** N holders with a photo at the naval base, one validated batch of CIMS « agent » cards (AUTH+SIGN+ENC). */
export async function runProduction(
  label: string,
  target: { data: string; db: string },
  cards: number,
  problems: string[],
): Promise<ProductionResult> {
  console.log(`Production through the simulated manufacturer — ${label}`);
  const platform = await openPlatform(target, {});
  const { ctx } = platform;
  try {
    const pki = pkiEnvironment({ publicUrl: 'https://cartes.example.gouv.fr', dataDir: target.data }, {});
    let t0 = performance.now();
    await loadDemoData(ctx);
    await initPki(ctx, systemActor('bench'), pki, {
      custodianSecrets: ['premier dépositaire du banc', 'second dépositaire du banc'],
    });
    await ensureCardModels(ctx);
    const org = await ctx.store.db
      .selectFrom('organizations')
      .select('id')
      .where('code', '=', 'BN-BREST')
      .executeTakeFirstOrThrow();
    const model = await ctx.store.db
      .selectFrom('card_models')
      .select('id')
      .where('code', '=', 'cims-agent')
      .executeTakeFirstOrThrow();
    const now = ctx.now().toISOString();
    const batchId = timeOrderedId();
    await ctx.store.db
      .insertInto('request_batches')
      .values(
        batchRow(now, {
          id: batchId,
          number: 'L-BANC-0001',
          organization_id: org.id,
          state: 'validated',
          validated_at: now,
        }),
      )
      .execute();
    for (let start = 0; start < cards; start += 500) {
      const agents: Insertable<AgentTable>[] = [];
      const requests: Insertable<CardRequestTable>[] = [];
      for (let i = start; i < Math.min(cards, start + 500); i++) {
        const id = timeOrderedId();
        const identifier = `prod${String(i).padStart(6, '0')}`;
        agents.push(
          agentRow(now, {
            id,
            organization_id: org.id,
            identifier,
            last_name: `MARIN ${letters(i)}`,
            first_names: 'Camille',
            birth_place: 'Brest',
            staff_status: 'military',
            identity_verified: 1,
            has_photo: 1,
            search_text: identifier,
          }),
        );
        requests.push(
          requestRow(now, {
            id: timeOrderedId(),
            number: `D-BANC-${String(i).padStart(6, '0')}`,
            agent_id: id,
            organization_id: org.id,
            model_id: model.id,
            state: 'validated',
            batch_id: batchId,
          }),
        );
      }
      await ctx.store.db.transaction().execute(async (trx) => {
        for (let k = 0; k < agents.length; k += 100)
          await trx
            .insertInto('agents')
            .values(agents.slice(k, k + 100))
            .execute();
        for (let k = 0; k < requests.length; k += 100)
          await trx
            .insertInto('card_requests')
            .values(requests.slice(k, k + 100))
            .execute();
      });
    }
    console.log(
      `  set-up (demo data, key ceremony, ${fmtInt(cards)} holders and requests, one validated batch): ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const env = productionEnvironment(target.data, pki, {});
    const inner = localSimulator(ctx, env, (line) => console.log(`    fabricant : ${line}`));
    let simulatorSeconds = 0;
    const simulator: Simulator = {
      async step() {
        const s0 = performance.now();
        try {
          return await inner.step();
        } finally {
          simulatorSeconds += (performance.now() - s0) / 1000;
        }
      },
    };
    t0 = performance.now();
    await productionRound(ctx, env, simulator, (line) =>
      console.log(`    plateforme : ${line} (${((performance.now() - t0) / 1000).toFixed(1)} s)`),
    );
    const seconds = (performance.now() - t0) / 1000;

    const batch = await ctx.store.db
      .selectFrom('request_batches')
      .select('state')
      .where('id', '=', batchId)
      .executeTakeFirstOrThrow();
    if (batch.state !== 'closed') problems.push(`${label} production: batch ${batch.state}, expected closed`);
    const shipped = await ctx.store.db
      .selectFrom('cards')
      .select(sql<number>`count(*)`.as('n'))
      .where('batch_id', '=', batchId)
      .where('state', '=', 'shipped')
      .executeTakeFirstOrThrow();
    if (Number(shipped.n) !== cards)
      problems.push(`${label} production: ${shipped.n} cards shipped, expected ${cards}`);
    const certs = await ctx.store.db
      .selectFrom('certificates as x')
      .innerJoin('cards as c', 'c.id', 'x.card_id')
      .select(sql<number>`count(*)`.as('n'))
      .where('c.batch_id', '=', batchId)
      .executeTakeFirstOrThrow();
    const certificates = Number(certs.n);
    if (certificates !== cards * 3)
      problems.push(`${label} production: ${certificates} certificates on cards, expected ${cards * 3}`);
    const files = readdirSync(join(target.data, 'cards')).filter((f) => f.endsWith('.carte')).length;
    if (files !== cards) problems.push(`${label} production: ${files} card files, expected ${cards}`);
    const chain = await verifyAuditChain(ctx.store);
    if (!chain.ok) problems.push(`${label} production: audit chain broken`);
    console.log(
      `  ${fmtInt(cards)} cards shipped, ${fmtInt(certificates)} certificates on them, ${fmtInt(files)} card files, audit chain ${chain.ok ? 'OK' : 'BROKEN'}`,
    );
    console.log(
      `  ${seconds.toFixed(1)} s from order to closed batch = ${fmtInt(certificates / seconds)} certificates/s (simulator ${simulatorSeconds.toFixed(1)} s, platform ${(seconds - simulatorSeconds).toFixed(1)} s)`,
    );
    const peer = rawSignaturesPerSecond();
    console.log(`  peer: raw node:crypto P-256 sign('sha256', …): ${fmtInt(peer)} signatures/s`);
    return { label, cards, certificates, seconds, simulatorSeconds, peerSigsPerS: peer };
  } finally {
    await platform.store.close();
  }
}

export function printProduction(results: ProductionResult[], cards: number): void {
  if (results.length === 0) return;
  console.log(
    `\nProduction summary — ${fmtInt(cards)} CIMS « agent » cards through the simulated manufacturer (targets are informational)`,
  );
  for (const r of results) {
    const ratio = r.certificates / r.seconds / r.peerSigsPerS;
    const platformOnly = r.certificates / (r.seconds - r.simulatorSeconds);
    console.log(
      `  ${r.label}: ${fmtInt(r.certificates / r.seconds)} certificates/s whole run (${r.seconds.toFixed(1)} s), platform side alone ${fmtInt(platformOnly)} /s; raw P-256 signatures ${fmtInt(r.peerSigsPerS)} /s; ratio ${pct(ratio)} (platform side ${pct(platformOnly / r.peerSigsPerS)}) — target ≥ ${TARGET_RATIO * 100} %: ${ratio >= TARGET_RATIO ? 'PASS' : 'BELOW'}`,
    );
  }
}
