// The processing centre's back office through the HTTP API (seed 003), on both databases: a slip of
// three files; one lacks a piece that needs a new signature and is returned with its letter; one
// lacks a piece obtained by phone and goes on; all usable files are routed, processed (entered and
// CSV-imported amounts), self-checked by the office head, transferred and archived. Then the
// refusals: scope, own work, missing piece, wrong status, need-to-know.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type TestServer } from '../support/http.ts';
import * as S from '../../src/http/schemas/backoffice.ts';

forEachDatabase('back office over HTTP', (dialect) => {
  let p: TestPlatform;
  let s: TestServer;
  let liaison: Client;
  let agentBt1: Client;
  let headBt1: Client;
  let agentBt2: Client;
  let head: Client;
  let centreId: string;
  const offices: Record<string, string> = {};

  before(async () => {
    p = await openTestPlatform(dialect);
    s = await startServer(p);
    liaison = await s.signIn('morvan.g.camid');
    agentBt1 = await s.signIn('lebihan.s.camid');
    headBt1 = await s.signIn('quere.h.camid');
    agentBt2 = await s.signIn('cadiou.a.camid');
    head = await s.signIn('prigent.y.camid');
    const centres = await liaison.get('/api/backoffice/centres');
    assert.equal(centres.status, 200, centres.text);
    assert.ok(Value.Check(S.Centres, centres.json), 'centres fit their schema');
    const camid = centres.json.items.find((c: { code: string }) => c.code === 'CAMID')!;
    centreId = camid.id;
    for (const o of camid.offices) offices[o.code] = o.id;
  });
  after(async () => {
    await s?.close();
    await p?.close();
  });

  async function file(id: string) {
    const r = await liaison.get(`/api/backoffice/files/${id}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(
      Value.Check(S.CaseFile, r.json),
      [...Value.Errors(S.CaseFile, r.json)].map((e) => `${e.path} ${e.message}`).join('; '),
    );
    return r.json;
  }
  const ok = (r: { status: number; text: string }, status = 200) => assert.equal(r.status, status, r.text);

  it('slip of three files: one returned with its letter, one completed by phone, all others processed and archived', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const slip = await liaison.post('/api/backoffice/slips', {
      centreId,
      sendingOrganizationId: await orgId(p.ctx, 'FREMM-AQUITAINE'),
      unitReference: 'AQN/2026/0042',
      slipDate: today,
      contactName: 'Maître principal LE DUFF',
      contactPhone: '02 98 22 11 11',
      contactEmail: 'bureau-administratif@aquitaine.marine.defense.gouv.fr',
      files: [
        {
          kind: 'fd_mission',
          personName: 'Yann LE GALL',
          personIdentifier: '1003456789',
          unitReference: 'OM-118',
          pieces: ['ordre_mission', 'etat_frais', 'justificatifs_transport'],
          delegatingAuthorityId: await orgId(p.ctx, 'CECLANT'),
        },
        {
          kind: 'fd_mission',
          personName: 'Maëlle KERBRAT',
          personIdentifier: '1004567890',
          unitReference: 'OM-119',
          pieces: ['ordre_mission', 'etat_frais', 'justificatifs_transport'],
        },
        {
          kind: 'fd_stage',
          personName: 'Erwan TANGUY',
          unitReference: 'ST-07',
          pieces: ['ordre_mission', 'attestation_stage', 'etat_frais'],
        },
      ],
    });
    ok(slip, 201);
    assert.ok(Value.Check(S.SlipCreated, slip.json));
    assert.match(slip.json.number, /^BE-\d{4}-\d{6}$/);
    const [a, b, c] = slip.json.files.map((f: { id: string }) => f.id) as [string, string, string];
    const fa = await file(a);
    assert.equal(fa.status, 'received');
    assert.equal(fa.agentId !== null, true, 'the person is linked to the directory by the identifier');
    assert.deepEqual(fa.actions.sort(), ['attach', 'check', 'contact', 'correct', 'register', 'return'].sort());

    // File A: one click per piece and per form check, then registration and routing to BT1.
    for (const piece of ['ordre_mission', 'etat_frais', 'justificatifs_transport'])
      ok(await liaison.post(`/api/backoffice/files/${a}/pieces/${piece}`, { present: true }));
    const early = await liaison.post(`/api/backoffice/files/${a}/register`);
    assert.equal(early.status, 422, 'checks not done yet');
    assert.ok(early.json.errors.some((e: { field: string }) => e.field === 'checks.visa_commissaire'));
    for (const check of ['signatures', 'imputation', 'ayant_droit', 'visa_commissaire'])
      ok(await liaison.post(`/api/backoffice/files/${a}/checks/${check}`, { ok: true }));
    // A manifest clerical error corrected in place, recorded.
    ok(
      await liaison.post(`/api/backoffice/files/${a}/corrections`, {
        field: 'unitReference',
        value: 'OM-2026-118',
        note: 'Référence tronquée sur le bordereau, confirmée par téléphone.',
      }),
    );
    const ra = await liaison.post(`/api/backoffice/files/${a}/register`);
    ok(ra);
    assert.equal(ra.json.status, 'routed');
    assert.equal(ra.json.office.id, offices['BT1']);
    assert.equal(ra.json.unitReference, 'OM-2026-118');
    assert.match(ra.json.dueOn, /^\d{4}-\d{2}-\d{2}$/);

    // File B: the mission order is missing; it needs the authority's signature: no contact can replace it.
    ok(
      await liaison.post(`/api/backoffice/files/${b}/pieces/ordre_mission`, { present: false, note: 'Absent du pli' }),
    );
    const refusedContact = await liaison.post(`/api/backoffice/files/${b}/contacts`, {
      channel: 'phone',
      contactName: 'Maître principal LE DUFF',
      summary: 'Demande de l’ordre de mission par télécopie',
      resolves: { pieces: ['ordre_mission'] },
    });
    assert.equal(refusedContact.status, 422);
    assert.match(refusedContact.json.detail, /nouvelle signature/);
    const rb = await liaison.post(`/api/backoffice/files/${b}/register`);
    assert.equal(rb.status, 422);
    assert.ok(rb.json.errors.some((e: { reason: string }) => /Pièce manquante : Ordre de mission/.test(e.reason)));
    const returned = await liaison.post(`/api/backoffice/files/${b}/return`, {
      reasons: ['Pièce manquante : ordre de mission signé par l’autorité ayant ordonné le déplacement.'],
      note: 'Merci de joindre l’ordre de mission signé.',
    });
    ok(returned);
    assert.equal(returned.json.status, 'returned');
    assert.equal(returned.json.letters.length, 1);
    const letter = await liaison.get(`/api/backoffice/files/${b}/letters/${returned.json.letters[0].id}`);
    ok(letter);
    assert.equal(letter.headers.get('content-type'), 'application/pdf');
    assert.equal(letter.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    const mail = await p.store.db
      .selectFrom('mails')
      .selectAll()
      .where('recipient', '=', 'bureau-administratif@aquitaine.marine.defense.gouv.fr')
      .execute();
    assert.equal(mail.length, 1);
    assert.match(mail[0]!.body, /ordre de mission signé/);

    // File C: the training attestation is missing; obtained by phone (a simple contact), it goes on.
    const intake = await liaison.post(`/api/backoffice/slips/${slip.json.id}/intake`, {
      files: [
        {
          fileId: c,
          pieces: { ordre_mission: true, attestation_stage: false, etat_frais: true },
          checks: {
            signatures: { ok: true },
            imputation: { ok: true },
            ayant_droit: { ok: true },
            visa_commissaire: { ok: true },
          },
          register: true,
        },
      ],
    });
    ok(intake);
    assert.deepEqual(intake.json.registered, []);
    assert.equal(intake.json.pending[0].number, (await file(c)).number);
    ok(
      await liaison.post(`/api/backoffice/files/${c}/contacts`, {
        channel: 'phone',
        contactName: 'Maître principal LE DUFF',
        summary: 'Attestation de présence envoyée par courriel pendant l’appel.',
        resolves: { pieces: ['attestation_stage'] },
      }),
    );
    const rc = await liaison.post(`/api/backoffice/files/${c}/register`);
    ok(rc);
    assert.equal(rc.json.status, 'routed');
    assert.equal(rc.json.pieces.find((x: { code: string }) => x.code === 'attestation_stage').state, 'obtained');
    assert.ok(
      rc.json.timeline.some(
        (e: { type: string; data: { channel?: string } }) => e.type === 'contact' && e.data.channel === 'phone',
      ),
    );

    // The office queue shows both, absolute priority first once the head of centre sets it.
    ok(
      await head.post(`/api/backoffice/files/${c}/priority`, {
        priority: 'absolute',
        note: 'Stagiaire muté à l’étranger le mois prochain.',
      }),
    );
    const queue = await agentBt1.get(`/api/backoffice/files?officeId=${offices['BT1']}&status=routed`);
    ok(queue);
    assert.ok(Value.Check(S.FilePage, queue.json));
    assert.deepEqual(
      queue.json.items.slice(0, 2).map((f: { id: string }) => f.id),
      [c, a],
    );

    // Processing: A by hand, C deferred (the liaison office is told and warns the unit), then imported from CSV.
    ok(await agentBt1.post(`/api/backoffice/files/${a}/take`));
    const pa = await agentBt1.post(`/api/backoffice/files/${a}/process`, {
      amountCents: 23_450,
      movementReference: 'DEC-2026-118',
    });
    ok(pa);
    assert.equal(pa.json.status, 'processed');
    ok(await agentBt1.post(`/api/backoffice/files/${c}/take`));
    const deferred = await agentBt1.post(`/api/backoffice/files/${c}/defer`, {
      reason: 'Taux de l’indemnité de stage à confirmer par le BOM.',
    });
    ok(deferred);
    assert.equal(deferred.json.status, 'deferred');
    const told = await p.store.db
      .selectFrom('mails')
      .select('subject')
      .where('recipient', '=', 'bureau-liaison.camid@intradef.gouv.fr')
      .execute();
    assert.deepEqual(
      told.map((m) => m.subject),
      [`Traitement différé du dossier ${deferred.json.number}`],
    );
    const warned = await liaison.post(`/api/backoffice/files/${c}/notify-unit`, {
      channel: 'email',
      contactName: 'Maître principal LE DUFF',
      summary: 'Traitement sous huit jours.',
    });
    ok(warned);
    assert.ok(warned.json.unitNotifiedAt);
    ok(await agentBt1.post(`/api/backoffice/files/${c}/resume`));
    const csv = `numero_dossier;montant;reference_decompte\n${rc.json.number};1 234,50;DEC-2026-207\nDOS-1999-0000001;12,00;X\n`;
    const imported = await agentBt1.post(`/api/backoffice/offices/${offices['BT1']}/amounts`, undefined, {
      raw: csv,
      contentType: 'text/csv',
    });
    ok(imported);
    assert.equal(imported.json.processed, 1);
    assert.deepEqual(
      imported.json.rejected.map((x: { line: number }) => x.line),
      [3],
    );
    assert.equal((await file(c)).amountCents, 123_450);

    // Self-control by the office head, then transfer and archive.
    for (const id of [a, c]) {
      const sc = await headBt1.post(`/api/backoffice/files/${id}/self-check`, { ok: true });
      ok(sc);
      assert.equal(sc.json.status, 'checked');
      assert.equal(sc.json.selfCheckedBy, 'Hervé QUÉRÉ');
    }
    const early2 = await liaison.post(`/api/backoffice/files/${a}/archive`, { locationKind: 'box', box: 'B-2026-07' });
    assert.equal(early2.status, 409, 'a travel-expense file is transferred to the paying centre before it is archived');
    const transfer = await agentBt1.post(`/api/backoffice/offices/${offices['BT1']}/transfer`, {
      fileIds: [a, c],
      reference: 'MVT-CIC-2026-031',
    });
    ok(transfer);
    assert.equal(transfer.json.transferred.length, 2);
    for (const id of [a, c]) {
      const ar = await liaison.post(`/api/backoffice/files/${id}/archive`, {
        locationKind: 'box',
        box: 'B-2026-07',
        shelf: 'Travée 2',
      });
      ok(ar);
      assert.equal(ar.json.status, 'archived');
    }
    const timeline = (await file(a)).timeline.map((e: { type: string }) => e.type);
    for (const step of [
      'received',
      'piece',
      'check',
      'correction',
      'registered',
      'routed',
      'taken',
      'processed',
      'self_check',
      'transferred',
      'archived',
    ])
      assert.ok(timeline.includes(step), `${step} in ${timeline.join(', ')}`);

    const register = await liaison.get(`/api/backoffice/archive?centreId=${centreId}&box=B-2026-07`);
    ok(register);
    assert.ok(Value.Check(S.ArchivePage, register.json));
    assert.deepEqual(register.json.items.map((e: { fileId: string }) => e.fileId).sort(), [a, c].sort());
    const versement = await liaison.post('/api/backoffice/archive/transfers', {
      centreId,
      destination: 'Service historique de la défense, Brest',
      fileIds: [a],
    });
    ok(versement, 201);
    assert.match(versement.json.number, /^VA-\d{4}-\d{4}$/);
    assert.equal((await file(a)).archive?.transferred, true);

    // The monthly statement of the delegating authorities' expenses has both amounts.
    const month = new Date().toISOString().slice(0, 7);
    const stmt = await head.get(`/api/backoffice/expenses?centreId=${centreId}&month=${month}`);
    ok(stmt);
    assert.ok(Value.Check(S.ExpenseStatement, stmt.json));
    const byCode = Object.fromEntries(
      stmt.json.items.map((i: { code: string; totalCents: number }) => [i.code, i.totalCents]),
    );
    assert.equal(byCode['CECLANT'], 23_450);
    assert.equal(byCode['FREMM-AQUITAINE'], 123_450);
    const stmtCsv = await head.get(`/api/backoffice/expenses?centreId=${centreId}&month=${month}&format=csv`);
    assert.match(stmtCsv.text, /Total;;2;1469,00/);

    // Every step is in the audit trail.
    const actions = new Set(
      (
        await p.store.db
          .selectFrom('audit_log')
          .select('action')
          .where('target_id', '=', a)
          .where('outcome', '=', 'ok')
          .execute()
      ).map((r) => r.action),
    );
    for (const act of [
      'caseFile.receive',
      'caseFile.piece',
      'caseFile.check',
      'caseFile.correct',
      'caseFile.register',
      'caseFile.take',
      'caseFile.process',
      'caseFile.selfCheck',
      'caseFile.transfer',
      'caseFile.archive',
    ])
      assert.ok(actions.has(act), act);
  });

  it('refusals: scope, own work, own file, wrong status, need-to-know, unauthenticated upload', async () => {
    const slip = await liaison.post('/api/backoffice/slips', {
      centreId,
      sendingOrganizationId: await orgId(p.ctx, 'GFM-BREST'),
      unitReference: 'GFM/2026/7',
      slipDate: new Date().toISOString().slice(0, 10),
      files: [
        {
          kind: 'fd_mission',
          personName: 'Ronan CORRE',
          pieces: ['ordre_mission', 'etat_frais', 'justificatifs_transport'],
        },
        {
          kind: 'fd_mission',
          personName: 'Hervé QUÉRÉ',
          personIdentifier: 'quere.h.camid',
          pieces: ['ordre_mission', 'etat_frais', 'justificatifs_transport'],
        },
      ],
    });
    ok(slip, 201);
    const [x, own] = slip.json.files.map((f: { id: string }) => f.id) as [string, string];
    const all = { ordre_mission: true, etat_frais: true, justificatifs_transport: true };
    const checks = {
      signatures: { ok: true },
      imputation: { ok: true },
      ayant_droit: { ok: true },
      visa_commissaire: { ok: true },
    };
    const intake = await liaison.post(`/api/backoffice/slips/${slip.json.id}/intake`, {
      files: [
        { fileId: x, pieces: all, checks, register: true },
        { fileId: own, pieces: all, checks, register: true },
      ],
    });
    ok(intake);
    assert.equal(intake.json.registered.length, 2);

    // Wrong status: nothing is archived or self-checked before processing.
    assert.equal(
      (await liaison.post(`/api/backoffice/files/${x}/archive`, { locationKind: 'box', box: 'B1' })).status,
      409,
    );
    assert.equal((await headBt1.post(`/api/backoffice/files/${x}/self-check`, { ok: true })).status, 409);
    // Scope: an agent of another office, the liaison office, a card operator of a unit.
    assert.equal((await agentBt2.post(`/api/backoffice/files/${x}/take`)).status, 403);
    assert.equal((await liaison.post(`/api/backoffice/files/${x}/take`)).status, 403);
    const brest = await s.signIn('1002345678');
    assert.equal((await brest.get(`/api/backoffice/files/${x}`)).status, 403);
    assert.equal(
      (await brest.get('/api/backoffice/files')).json.items.filter((f: { id: string }) => f.id === x).length,
      0,
    );
    assert.equal(
      (await agentBt1.post(`/api/backoffice/files/${x}/priority`, { priority: 'absolute', note: 'x' })).status,
      403,
    );
    // Own work: the head who processed a file does not self-check it.
    ok(await headBt1.post(`/api/backoffice/files/${x}/take`));
    ok(await headBt1.post(`/api/backoffice/files/${x}/process`, { amountCents: 1000, movementReference: 'DEC-1' }));
    const selfOwn = await headBt1.post(`/api/backoffice/files/${x}/self-check`, { ok: true });
    assert.equal(selfOwn.status, 403);
    assert.match(selfOwn.json.detail, /Nul ne contrôle son propre travail/);
    // Own file: the head is the person concerned by the other file.
    const ownTake = await headBt1.post(`/api/backoffice/files/${own}/take`);
    assert.equal(ownTake.status, 403);
    assert.match(ownTake.json.detail, /concerne/);
    // A refused self-check sends the file back to processing with the reason.
    const refused = await (
      await s.signIn('jaouen.p.camid')
    ).post(`/api/backoffice/files/${x}/self-check`, { ok: false, note: 'x' });
    assert.equal(refused.status, 403, 'the head of another office does not self-check BT1');
    // Need-to-know: the national administrator sees no piece; the BT2 agent does not open BT1's documents.
    const pdf = Buffer.from('%PDF-1.4\n% ordre de mission numérisé\n');
    const up = await liaison.put(
      `/api/backoffice/files/${x}/pieces/ordre_mission/document?fileName=om.pdf`,
      undefined,
      { raw: pdf, contentType: 'application/pdf' },
    );
    ok(up);
    const piece = up.json.pieces.find((q: { code: string }) => q.code === 'ordre_mission');
    assert.equal(piece.document.sha256.length, 64);
    ok(await liaison.get(`/api/backoffice/files/${x}/pieces/${piece.id}/document`));
    ok(await agentBt1.get(`/api/backoffice/files/${x}/pieces/${piece.id}/document`));
    assert.equal((await agentBt2.get(`/api/backoffice/files/${x}/pieces/${piece.id}/document`)).status, 403);
    const admin = await s.signIn('admin.national');
    ok(await admin.get(`/api/backoffice/files/${x}`));
    assert.equal((await admin.get(`/api/backoffice/files/${x}/pieces/${piece.id}/document`)).status, 403);
    // A wrong type or a lying file is refused; an upload without a session is refused before its body.
    const fake = await liaison.put(`/api/backoffice/files/${x}/pieces/etat_frais/document`, undefined, {
      raw: Buffer.from('not a pdf'),
      contentType: 'application/pdf',
    });
    assert.equal(fake.status, 422);
    const anon = await s.request('PUT', `/api/backoffice/files/${x}/pieces/etat_frais/document`, undefined, {
      raw: pdf,
      contentType: 'application/pdf',
    });
    assert.equal(anon.status, 401);
    // Every refusal is audited.
    const refusals = await p.store.db
      .selectFrom('audit_log')
      .select(['action', 'summary'])
      .where('outcome', '=', 'refused')
      .where('target_id', 'in', [x, own])
      .execute();
    for (const act of ['caseFile.archive', 'caseFile.selfCheck', 'caseFile.process', 'caseFile.document.read'])
      assert.ok(
        refusals.some((r) => r.action === act),
        `${act} refusal audited: ${refusals.map((r) => r.action).join(', ')}`,
      );
  });
});
