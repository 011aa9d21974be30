// Kinds of case files as data, on both databases: loaded from the file at start, edited by the
// national administrator (and kept as edited when the file is loaded again), used by the intake desk.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { actorFor, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { fails } from '../support/errors.ts';
import {
  DEFAULT_KINDS_FILE,
  KindsFileError,
  listKinds,
  loadKindsFile,
  updateKind,
} from '../../src/app/backoffice/kinds.ts';
import { intakeSlip, registerSlip } from '../../src/app/backoffice/intake.ts';
import { getCaseFile } from '../../src/app/backoffice/files.ts';
import { openPlatform } from '../../src/platform.ts';
import { ConfigError } from '../../src/config.ts';

forEachDatabase('kinds of case files', (dialect) => {
  let p: TestPlatform;

  before(async () => {
    p = await openTestPlatform(dialect);
  });
  after(() => p?.close());

  it('the file is loaded at start; the administrator’s edit is kept when the file is loaded again; intake follows the edit', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const kinds = await listKinds(p.ctx, admin);
    assert.equal(kinds.items.length, 6);
    const mission = kinds.items.find((k) => k.code === 'fd_mission')!;
    assert.equal(mission.source, 'file');
    const { familyLabel: _f, source: _s, version: _v, updatedAt: _u, ...def } = mission;
    const edited = await updateKind(p.ctx, admin, 'fd_mission', {
      ...def,
      targetDays: 21,
      checks: [...def.checks, { code: 'date_retour', label: 'Date de retour renseignée', byContact: true }],
    });
    assert.equal(edited.version, 2);
    assert.equal(edited.source, 'admin');
    assert.deepEqual(await loadKindsFile(p.ctx, DEFAULT_KINDS_FILE), { created: 0, updated: 0, kept: 6 });
    assert.equal((await listKinds(p.ctx, admin)).items.find((k) => k.code === 'fd_mission')!.targetDays, 21);
    const audit = await p.store.db
      .selectFrom('audit_log')
      .select('summary')
      .where('action', '=', 'caseKind.update')
      .executeTakeFirstOrThrow();
    assert.match(audit.summary, /"targetDays":21/);

    const liaison = await actorFor(p.ctx, 'morvan.g.camid');
    const slip = await registerSlip(p.ctx, liaison, {
      centreId: await orgId(p.ctx, 'CAMID'),
      sendingOrganizationId: await orgId(p.ctx, 'ECOLE-NAVALE'),
      unitReference: 'EN/1',
      slipDate: p.ctx.now().toISOString().slice(0, 10),
      files: [{ kind: 'fd_mission', personName: 'Katell CABON', pieces: ['ordre_mission'] }],
    });
    const file = await getCaseFile(p.ctx, liaison, slip.files[0]!.id);
    assert.ok(file.checks.some((c) => c.code === 'date_retour' && c.state === 'pending'));
    // Required pieces the slip does not list are missing from the start.
    assert.deepEqual(
      file.pieces
        .filter((x) => x.state === 'missing')
        .map((x) => x.code)
        .sort(),
      ['etat_frais', 'justificatifs_transport'],
    );
  });

  it('refuses a faulty definition, a change of family, and anyone but the national administrator', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const stage = (await listKinds(p.ctx, admin)).items.find((k) => k.code === 'fd_stage')!;
    const { familyLabel: _f, source: _s, version: _v, updatedAt: _u, ...def } = stage;
    await fails(updateKind(p.ctx, admin, 'fd_stage', { ...def, offices: [] }), 'invalid');
    await fails(updateKind(p.ctx, admin, 'fd_stage', { ...def, family: 'card', amount: false }), 'invalid', /famille/);
    await fails(updateKind(p.ctx, admin, 'fd_stage', { ...def, code: 'fd_autre' }), 'invalid', /code/);
    await fails(updateKind(p.ctx, await actorFor(p.ctx, 'prigent.y.camid'), 'fd_stage', def), 'forbidden');
    await fails(updateKind(p.ctx, admin, 'inconnu', def), 'not_found');
  });

  it('a new kinds file adds its kinds; a faulty one stops the start with a French message', async () => {
    const shipped = JSON.parse(readFileSync(DEFAULT_KINDS_FILE, 'utf8')) as {
      kinds: { code: string; label: string }[];
    };
    const file = join(p.dataDir, 'kinds.json');
    const extra = { ...shipped.kinds[0]!, code: 'fd_trop_percu', label: 'État de trop-perçu reçu du CIC' };
    writeFileSync(file, JSON.stringify({ kinds: [...shipped.kinds, extra] }));
    assert.deepEqual(await loadKindsFile(p.ctx, file), { created: 1, updated: 0, kept: 6 });
    writeFileSync(file, JSON.stringify({ kinds: [{ ...extra, targetDays: 400 }] }));
    await assert.rejects(
      loadKindsFile(p.ctx, file),
      (e: Error) => e instanceof KindsFileError && /targetDays/.test(e.message),
    );
    if (dialect === 'sqlite')
      await assert.rejects(
        openPlatform({ data: p.dataDir, db: p.dbTarget }, { CARTES_CASE_KINDS: file }),
        (e: Error) => e instanceof ConfigError && /types de dossiers invalide/.test(e.message),
      );
  });

  it('a kind taken by two offices goes to the least loaded one, file after file; a rule naming the unit wins', async () => {
    const admin = await actorFor(p.ctx, 'admin.national');
    const liaison = await actorFor(p.ctx, 'morvan.g.camid');
    const centreId = await orgId(p.ctx, 'CAMID');
    const stage = (await listKinds(p.ctx, admin)).items.find((k) => k.code === 'fd_stage')!;
    const { familyLabel: _f, source: _s, version: _v, updatedAt: _u, ...def } = stage;
    await updateKind(p.ctx, admin, 'fd_stage', {
      ...def,
      offices: ['BT1', 'BT2'],
      routing: [{ office: 'BT1', sendingUnits: ['GFM-BREST'] }],
    });
    const offices = new Map(
      (
        await p.store.db
          .selectFrom('backoffice_offices')
          .select(['organization_id', 'code'])
          .where('centre_id', '=', centreId)
          .execute()
      ).map((o) => [o.organization_id, o.code]),
    );
    const openLoads = async () => {
      const loads = new Map([
        ['BT1', 0],
        ['BT2', 0],
      ]);
      for (const f of await p.store.db
        .selectFrom('case_files')
        .select('office_id')
        .where('centre_id', '=', centreId)
        .where('status', 'in', ['routed', 'in_progress', 'deferred'])
        .execute()) {
        const code = offices.get(f.office_id ?? '');
        if (code && loads.has(code)) loads.set(code, loads.get(code)! + 1);
      }
      return loads;
    };
    const intake = async (unit: string, n: number) => {
      const slip = await registerSlip(p.ctx, liaison, {
        centreId,
        sendingOrganizationId: await orgId(p.ctx, unit),
        unitReference: `${unit}/${n}`,
        slipDate: p.ctx.now().toISOString().slice(0, 10),
        files: Array.from({ length: n }, (_, i) => ({
          kind: 'fd_stage',
          personName: `Stagiaire ${i}`,
          pieces: def.pieces.map((x) => x.code),
        })),
      });
      const r = await intakeSlip(p.ctx, liaison, slip.id, {
        files: slip.files.map((f) => ({
          fileId: f.id,
          pieces: Object.fromEntries(def.pieces.map((x) => [x.code, true])),
          checks: Object.fromEntries(def.checks.map((c) => [c.code, { ok: true }])),
          register: true,
        })),
      });
      assert.equal(r.registered.length, n);
      const routed = await p.store.db
        .selectFrom('case_files')
        .select('office_id')
        .where('slip_id', '=', slip.id)
        .orderBy('number')
        .execute();
      return routed.map((f) => offices.get(f.office_id ?? ''));
    };
    // The rule sends this unit's files to BT1 whatever the loads: uneven loads to start with.
    assert.deepEqual(await intake('GFM-BREST', 3), ['BT1', 'BT1', 'BT1']);
    const before = await openLoads();
    const got = await intake('ECOLE-NAVALE', 6);
    // Expected: each file to the office with fewer open files at that moment (BT1 first on a tie).
    const loads = new Map(before);
    const expected = got.map(() => {
      const to = loads.get('BT2')! < loads.get('BT1')! ? 'BT2' : 'BT1';
      loads.set(to, loads.get(to)! + 1);
      return to;
    });
    assert.deepEqual(got, expected);
    assert.ok(got.includes('BT2'), `balanced: ${got.join(', ')} from ${[...before].join(', ')}`);
    assert.deepEqual(await openLoads(), loads);
  });
});
