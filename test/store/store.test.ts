import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { knownMigrations, migrate, openStore } from '../../src/store/database.ts';
import { countRows, verifyAuditChain } from '../../src/store/audit.ts';
import { loadDemoData } from '../../src/app/demo/directory.ts';
import { getPhoto, uploadPhoto } from '../../src/app/directory/agents.ts';
import { systemActor } from '../../src/app/context.ts';
import type { Database } from '../../src/store/schema.ts';
import { actorFor, agentId, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';

const TABLES: (keyof Database)[] = [
  'organizations',
  'agents',
  'agent_photos',
  'role_assignments',
  'agreements',
  'agreement_delegates',
  'self_assessments',
  'allocation_plan_entries',
  'audit_log',
  'audit_head',
  'sign_in_links',
  'sessions',
  'service_tokens',
  'jobs',
  'mails',
  'import_runs',
  'import_rejects',
  'certification_authorities',
  'certificates',
];

async function countAll(p: TestPlatform): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = await countRows(p.store.db, t);
  return out;
}

const PHOTO = new Uint8Array(readFileSync(new URL('../fixtures/photo-valid.jpg', import.meta.url)));

forEachDatabase('store', (dialect) => {
  let p: TestPlatform;
  before(async () => {
    p = await openTestPlatform(dialect, { demo: false });
  });
  after(async () => {
    await p?.close();
  });

  it('applies the migrations once; running them again changes nothing', async () => {
    const applied = await p.store.db
      .selectFrom(sql.table('kysely_migration').as('m'))
      .select(sql<string>`m.name`.as('name'))
      .execute();
    assert.deepEqual(
      applied.map((r) => r.name),
      [
        '001_ground',
        '002_pki',
        '003_cards',
        '004_requests',
        '005_production',
        '006_lifecycle',
        '007_fixes',
        '008_operations',
        '009_ocsp',
        '010_scale',
        '011_backoffice',
        '012_control',
        '013_steering',
        '014_backoffice_speed',
      ],
    );
    assert.deepEqual(knownMigrations().slice(0, 6), [
      '001_ground',
      '002_pki',
      '003_cards',
      '004_requests',
      '005_production',
      '006_lifecycle',
    ]);
    assert.deepEqual(await migrate(p.store), [], 'second run applies nothing');
    assert.deepEqual(await migrate(p.store), [], 'third run applies nothing');
    // A second connection on the same database (what a second process does) migrates to nothing too.
    const other = openStore(p.dbTarget);
    try {
      assert.deepEqual(await migrate(other), []);
      assert.equal(other.dialect, dialect);
    } finally {
      await other.close();
    }
    // The only record of a fresh platform is the load of the case-file kinds it reads at start.
    const audit = await p.store.db.selectFrom('audit_log').select(['action', 'actor_id']).execute();
    assert.deepEqual(audit, [{ action: 'caseKind.load', actor_id: 'system:kinds-file' }]);
    for (const t of TABLES.filter((t) => t !== 'audit_log' && t !== 'audit_head'))
      assert.equal(await countRows(p.store.db, t), 0, `${t} is empty`);
  });

  it('loads the demo data twice without duplicating anything', async () => {
    const first = await loadDemoData(p.ctx);
    assert.ok(first.created > 10, `first load creates the demo (${first.created})`);
    const once = await countAll(p);
    assert.equal(once['organizations'], 18); // with the processing centre CAMID and its offices
    assert.equal(once['agents'], 23); // with the centre's staff, the BOM's head KERJEAN among them
    assert.equal(once['agreements'], 1);
    assert.equal(once['agent_photos'], 1);
    assert.ok(once['audit_log']! > 20);

    const second = await loadDemoData(p.ctx);
    assert.equal(second.created, 0);
    assert.deepEqual(await countAll(p), once);
    const chain = await verifyAuditChain(p.store);
    assert.equal(chain.ok, true);
    assert.equal(chain.checked, once['audit_log']);
  });

  it('keeps unique constraints: a second organisation code or agent identifier is refused by the database', async () => {
    const now = new Date().toISOString();
    const ants = await orgId(p.ctx, 'ANTS');
    await assert.rejects(
      p.store.db
        .insertInto('organizations')
        .values({
          id: 'dup-org',
          code: 'ANTS',
          kind: 'agency',
          name: 'Doublon',
          parent_id: null,
          registration_authority_id: null,
          path: '/dup-org/',
          insee_code: null,
          siren: null,
          address_line: null,
          postal_code: null,
          city: null,
          status: 'active',
          trusted_roles_suspended: 0,
          created_at: now,
          updated_at: now,
        })
        .execute(),
    );
    await assert.rejects(
      p.store.db
        .insertInto('agents')
        .values(agentRow('dup-agent', ants, 'admin.national', now))
        .execute(),
    );
    assert.equal(await countRows(p.store.db, 'organizations'), 18);
  });

  it('round-trips an agent row: text with accents and newlines, JSON arrays, 0/1 flags, nulls', async () => {
    const now = '2026-01-02T03:04:05.678Z';
    const town = await orgId(p.ctx, '77011');
    const row = {
      ...agentRow('rt-agent', town, 'rt-1', now),
      last_name: "N'DIAYE-ÉLOÏSE",
      first_names: 'Aïssatou Zoé',
      unit_address: 'Mairie\n2 place de l’Église ; bureau « B »',
      habilitations: JSON.stringify(['COMEDEC', 'HELIOS']),
      identity_verified: 1,
      email: null,
    };
    await p.store.db.insertInto('agents').values(row).execute();
    const back = await p.store.db
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', 'rt-agent')
      .executeTakeFirstOrThrow();
    assert.deepEqual({ ...back }, row); // node:sqlite rows have a null prototype
    assert.equal(typeof back.identity_verified, 'number');
    assert.deepEqual(JSON.parse(back.habilitations), ['COMEDEC', 'HELIOS']);
    await p.store.db
      .updateTable('agents')
      .set({ phone: '+33102030405', updated_at: '2026-02-03T00:00:00.000Z' })
      .where('id', '=', 'rt-agent')
      .execute();
    const updated = await p.store.db
      .selectFrom('agents')
      .select(['phone', 'updated_at', 'created_at'])
      .where('id', '=', 'rt-agent')
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      { ...updated },
      { phone: '+33102030405', updated_at: '2026-02-03T00:00:00.000Z', created_at: now },
    );
  });

  it('keeps binary blobs intact: every byte value, and the JPEG uploaded through the application', async () => {
    const all = new Uint8Array(4096);
    for (let i = 0; i < all.length; i++) all[i] = (i * 7 + (i >> 8)) & 0xff; // every value 0..255, NULs included
    assert.ok(all.includes(0) && all.includes(255));
    await p.store.db
      .insertInto('agent_photos')
      .values({
        agent_id: 'rt-agent',
        jpeg: all,
        width: 1,
        height: 1,
        size: all.length,
        uploaded_by: null,
        uploaded_at: new Date().toISOString(),
      })
      .execute();
    const back = await p.store.db
      .selectFrom('agent_photos')
      .select(['jpeg', 'size'])
      .where('agent_id', '=', 'rt-agent')
      .executeTakeFirstOrThrow();
    assert.ok(back.jpeg instanceof Uint8Array);
    assert.equal(back.size, 4096);
    assert.ok(Buffer.from(back.jpeg).equals(Buffer.from(all)), 'blob read back byte for byte');

    // Through the use cases: replace the demo photo of Hugues with a copy and read it back.
    const hugues = await agentId(p.ctx, '2010002684dh');
    await uploadPhoto(p.ctx, systemActor('test'), hugues, PHOTO);
    const photo = await getPhoto(p.ctx, await actorFor(p.ctx, 'admin.national'), hugues);
    assert.ok(Buffer.from(photo).equals(Buffer.from(PHOTO)));
    assert.equal(await countRows(p.store.db, 'agent_photos'), 2);
  });

  it('returns counts as numbers and filters with LIKE the same way on both databases', async () => {
    const n = await countRows(p.store.db, 'agents');
    assert.equal(typeof n, 'number');
    assert.equal(n, 24);
    const like = await p.store.db
      .selectFrom('agents')
      .select('identifier')
      .where('search_text', 'like', '%dilindien%')
      .execute();
    assert.deepEqual(
      like.map((r) => r.identifier),
      ['2010002684dh'],
    );
    // LIKE is case-sensitive on PostgreSQL and not on SQLite: search_text is stored lower-case so both agree.
    const upper = await p.store.db
      .selectFrom('agents')
      .select('search_text')
      .where('identifier', '=', '2010002684dh')
      .executeTakeFirstOrThrow();
    assert.equal(upper.search_text, upper.search_text.toLowerCase());
  });
});

function agentRow(id: string, organizationId: string, identifier: string, now: string): Database['agents'] {
  return {
    id,
    organization_id: organizationId,
    identifier,
    identifier_kind: 'internal',
    last_name: 'TEST',
    first_names: 'Test',
    sex: 'F',
    birth_date: '1980-01-01',
    birth_place: 'Paris',
    email: 'test@example.fr',
    phone: null,
    unit_address: null,
    staff_status: 'civil',
    category: null,
    profile: null,
    habilitations: '[]',
    status: 'active',
    identity_verified: 0,
    directory_record: 1,
    has_photo: 0,
    source: 'manual',
    feed_fingerprint: null,
    last_import_id: null,
    search_text: `test test ${identifier}`,
    sort_name: null,
    created_at: now,
    updated_at: now,
  };
}
