import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { importAgents } from '../../src/app/directory/hr-import/import-agents.ts';
import { createServiceToken } from '../../src/app/access/sessions.ts';
import { initPki, issueFromCsr, pkiEnvironment } from '../../src/app/pki/certificates.ts';
import { hashSecret } from '../../src/app/secrets.ts';
import { loadDemoActivity } from '../../src/app/demo/backoffice.ts';
import { systemActor } from '../../src/app/context.ts';
import { CONTROL_POINT_CODES } from '../../src/domain/self-assessment.ts';
import { countRows } from '../../src/store/audit.ts';
import { agentId, forEachDatabase, openTestPlatform, orgId, type TestPlatform } from '../support/platform.ts';
import { startServer, type Client, type HttpResponse, type TestServer } from '../support/http.ts';
import { opensslCsr } from '../support/openssl.ts';
import { batchRow, cardRow, requestRow } from '../support/rows.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const SAMPLE = readFileSync(new URL('hr-feed-sample.csv', FIXTURES));
const PHOTO_VALID = readFileSync(new URL('photo-valid.jpg', FIXTURES));
const PHOTO_WRONG_SIZE = readFileSync(new URL('photo-wrong-size.jpg', FIXTURES));
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4ef0000000049454e44ae426082',
  'hex',
);
const DOCS = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

/** Every `METHOD /api/...` route written in docs/api.md (query strings dropped). */
function documentedRoutes(): string[] {
  const out = new Set<string>();
  for (const m of DOCS.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/api\/[^`?\s]*)/g)) out.add(`${m[1]} ${m[2]}`);
  // The dashboards and internal control have their own refusal tests (test/api/steering-api.test.ts,
  // test/api/control-api.test.ts) and the to-do belongs to every signed-in person (nothing to refuse): their rows
  // in this table are still to be written.
  for (const route of out)
    if (route.includes(' /api/steering/') || route.includes(' /api/control/') || route === 'GET /api/tasks')
      out.delete(route);
  return [...out].sort();
}

function assertProblem(res: HttpResponse, status: number, detail?: RegExp): void {
  assert.equal(res.status, status, `status ${res.status}: ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.json.status, status);
  assert.equal(typeof res.json.title, 'string');
  assert.equal(typeof res.json.detail, 'string');
  // French: accented letters, French words or typographic apostrophes — never an English stock message.
  assert.doesNotMatch(res.json.detail, /\b(not found|error|invalid|forbidden|unauthorized|the|request)\b/i);
  if (detail) assert.match(res.json.detail, detail);
}

const allConform = () => Object.fromEntries(CONTROL_POINT_CODES.map((c) => [c, { conform: true }]));

forEachDatabase('HTTP API', (dialect) => {
  let p: TestPlatform;
  let server: TestServer;
  let admin: Client;
  let operator: Client; // martin.c77011
  let ra: Client; // lefebvre.s77
  let auditor: Client;
  let town: string;
  let brest: string;
  let leroy: string; // an agent of the town
  let brestAgent: string;

  before(async () => {
    p = await openTestPlatform(dialect);
    server = await startServer(p);
    town = await orgId(p.ctx, '77011');
    brest = await orgId(p.ctx, 'BN-BREST');
    leroy = await agentId(p.ctx, 'leroy.a77011');
    brestAgent = await agentId(p.ctx, '1003456789');
    admin = await server.signIn('admin.national');
    operator = await server.signIn('martin.c77011');
    ra = await server.signIn('lefebvre.s77');
    auditor = await server.signIn('auditeur.externe');
  });
  after(async () => {
    await server?.close();
    await p?.close();
  });

  describe('sessions', () => {
    let auth: TestServer; // its own server: /api/auth/link is limited to 10 calls a minute

    before(async () => {
      auth = await startServer(p);
    });
    after(async () => {
      await auth?.close();
    });

    it('a sign-in link opens a session once; the second use is refused in French', async () => {
      const token = await auth.linkToken('admin.national');
      const first = await auth.request('POST', '/api/auth/link', { token });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json.person.identifier, 'admin.national');
      assert.deepEqual(first.json.roles.map((r: { role: string }) => r.role).sort(), ['admin', 'holder']);
      assert.equal(typeof first.json.csrfToken, 'string');
      const cookie = first.headers.getSetCookie().find((c) => c.startsWith('cartes_session='));
      assert.ok(cookie);
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Strict/i);

      const second = await auth.request('POST', '/api/auth/link', { token });
      assertProblem(second, 401, /^Ce lien de connexion a déjà été utilisé\.$/);
      assert.equal(second.headers.getSetCookie().length, 0);
      assertProblem(await auth.request('POST', '/api/auth/link', { token: 'x'.repeat(43) }), 401, /inconnu/);
    });

    it('an expired link is refused', async () => {
      const token = await auth.linkToken('martin.c77011');
      const moved = await p.store.db
        .updateTable('sign_in_links')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('token_hash', '=', hashSecret(token))
        .executeTakeFirst();
      assert.equal(Number(moved.numUpdatedRows), 1);
      assertProblem(await auth.request('POST', '/api/auth/link', { token }), 401, /a expiré \(validité : 10 minutes\)/);
    });

    it('GET /api/session describes the signed-in person; logout ends the session', async () => {
      const client = await auth.signIn('martin.c77011');
      const s = await client.get('/api/session');
      assert.equal(s.status, 200);
      assert.deepEqual(Object.keys(s.json).sort(), ['branding', 'csrfToken', 'permissions', 'person', 'roles']);
      // An operator may fix contact data and photos but not create agents nor read the audit trail.
      assert.ok(s.json.permissions.includes('agent.contact') && s.json.permissions.includes('agent.photo'));
      assert.ok(!s.json.permissions.includes('agent.write') && !s.json.permissions.includes('audit.read'));
      assert.equal(s.json.person.identifier, 'martin.c77011');
      assert.equal(s.json.csrfToken, client.csrfToken);
      assert.deepEqual(
        s.json.roles.map((r: { role: string; organizationId: string }) => [r.role, r.organizationId]).sort(),
        [
          ['holder', town],
          ['operator', town],
        ],
      );
      assertProblem(await auth.request('GET', '/api/session'), 401, /pas connecté/);
      const out = await client.post('/api/auth/logout');
      assert.equal(out.status, 204);
      assertProblem(await client.get('/api/session'), 401, /pas connecté/);
    });

    it('limits /api/auth/link to 10 requests a minute', async () => {
      const limited = await startServer(p);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 10; i++)
          statuses.push((await limited.request('POST', '/api/auth/link', { token: `inconnu-${i}-xxxxxxxx` })).status);
        assert.deepEqual(statuses, Array(10).fill(401));
        const eleventh = await limited.request('POST', '/api/auth/link', { token: 'inconnu-11-xxxxxxxx' });
        assertProblem(eleventh, 429, /Trop de requêtes/);
        // Other routes are not affected.
        assert.equal((await limited.request('GET', '/api/config')).status, 200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('protocol', () => {
    it('rejects a mutating request without the CSRF token, changing nothing', async () => {
      const before = (await admin.get(`/api/agents/${leroy}`)).json.phone;
      assertProblem(
        await admin.patch(`/api/agents/${leroy}`, { phone: '01 60 99 99 99' }, { csrf: false }),
        403,
        /CSRF/,
      );
      assertProblem(
        await admin.patch(
          `/api/agents/${leroy}`,
          { phone: '01 60 99 99 99' },
          { csrf: false, headers: { 'x-csrf-token': 'faux' } },
        ),
        403,
        /CSRF/,
      );
      assert.equal((await admin.get(`/api/agents/${leroy}`)).json.phone, before);
      assertProblem(await admin.post(`/api/agents/${leroy}/deactivate`, undefined, { csrf: false }), 403, /CSRF/);
      assert.equal((await admin.get(`/api/agents/${leroy}`)).json.status, 'active');
      // A CSRF token from another session does not do either.
      assertProblem(
        await admin.post(`/api/agents/${leroy}/deactivate`, undefined, {
          csrf: false,
          headers: { 'x-csrf-token': operator.csrfToken },
        }),
        403,
        /CSRF/,
      );
      assert.equal((await admin.get(`/api/agents/${leroy}`)).json.status, 'active');
      const ok = await admin.patch(`/api/agents/${leroy}`, { phone: '01 60 99 99 99' });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.phone, '+33160999999');
    });

    it('answers errors as problem+json with a French detail (401, 404, 400, 415, 422)', async () => {
      assertProblem(await server.request('GET', '/api/agents'), 401, /Vous devez être connecté\./);
      assertProblem(await admin.get('/api/agents/00000000-0000-0000-0000-000000000000'), 404, /^Agent introuvable\.$/);
      assertProblem(await admin.get('/api/nexiste-pas'), 404, /^Ressource introuvable\.$/);
      assertProblem(
        await admin.patch(`/api/agents/${leroy}`, undefined, { raw: '{"phone": ', contentType: 'application/json' }),
        400,
        /n'est pas un JSON valide/,
      );
      const unknown = await admin.patch(`/api/agents/${leroy}`, { phone: '01 60 00 00 00', salaire: 3000 });
      assertProblem(unknown, 400, /requête est invalide/);
      assert.ok(
        unknown.json.errors.some((e: { reason: string }) => e.reason === 'champ inconnu : salaire'),
        JSON.stringify(unknown.json.errors),
      );
      assertProblem(
        await admin.patch(`/api/agents/${leroy}`, undefined, {
          raw: '<phone>1</phone>',
          contentType: 'application/xml',
        }),
        415,
        /Type de contenu non pris en charge/,
      );
      const badQuery = await admin.get('/api/agents?pageSize=1000');
      assertProblem(badQuery, 400);
      assert.match(badQuery.json.errors[0].reason, /valeur maximale : 100/);
      const invalid = await ra.post('/api/agents', {
        organizationId: town,
        identifier: 'x',
        identifierKind: 'internal',
        lastName: 'Durand',
        firstNames: 'Léa',
        sex: 'F',
        birthDate: '1990-01-01',
        birthPlace: 'Melun',
        staffStatus: 'civil',
        email: 'pas-une-adresse',
      });
      assertProblem(invalid, 422, /fiche de l'agent contient des erreurs/);
    });

    it('sends the security headers', async () => {
      for (const res of [
        await server.request('GET', '/api/config'),
        await server.request('GET', '/api/session'),
        await admin.get('/api/organizations'),
      ]) {
        const csp = res.headers.get('content-security-policy') ?? '';
        const scriptSrc = csp
          .split(';')
          .map((d) => d.trim())
          .find((d) => d.startsWith('script-src'));
        assert.ok(scriptSrc, csp);
        assert.doesNotMatch(scriptSrc, /unsafe-inline|unsafe-eval/);
        assert.match(csp, /default-src 'self'/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.equal(res.headers.get('x-frame-options'), 'DENY');
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.ok(res.headers.get('x-request-id'));
      }
    });

    it('serves the OpenAPI documentation, listing every documented route', async () => {
      const ui = await server.request('GET', '/api/docs');
      assert.equal(ui.status, 200);
      assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
      assert.match(ui.text, /swagger/i);
      const spec = await server.request('GET', '/api/docs/json');
      assert.equal(spec.status, 200);
      assert.match(spec.json.openapi, /^3\./);
      const paths = spec.json.paths as Record<string, Record<string, unknown>>;
      for (const route of documentedRoutes()) {
        const [method, path] = route.split(' ') as [string, string];
        const openapiPath = path.replace(/:(\w+)/g, '{$1}');
        assert.ok(paths[openapiPath]?.[method.toLowerCase()], `${route} in the OpenAPI document`);
      }
    });
  });

  describe('directory', () => {
    it('pages through the agents without gaps or repeats', async () => {
      const first = await admin.get('/api/agents?pageSize=5');
      assert.equal(first.status, 200);
      const total = first.json.total as number;
      assert.equal(total, await countRows(p.store.db, 'agents'));
      assert.ok(total > 10);
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(total / 5); page++) {
        const res = await admin.get(`/api/agents?pageSize=5&page=${page}`);
        assert.equal(res.json.page, page);
        assert.equal(res.json.pageSize, 5);
        assert.equal(res.json.total, total);
        assert.equal(res.json.items.length, Math.min(5, total - (page - 1) * 5));
        seen.push(...res.json.items.map((a: { id: string }) => a.id));
      }
      assert.equal(new Set(seen).size, total);
      const past = await admin.get(`/api/agents?pageSize=5&page=${Math.ceil(total / 5) + 1}`);
      assert.deepEqual(past.json.items, []);
      const keys = Object.keys(first.json.items[0]).sort();
      assert.deepEqual(keys, [
        'birthDate',
        'email',
        'firstNames',
        'hasPhoto',
        'id',
        'identifier',
        'lastName',
        'organizationId',
        'organizationName',
        'status',
      ]);
    });

    it('searches names, identifiers and emails ignoring accents and case', async () => {
      const names = async (client: Client, q: string) =>
        (await client.get(`/api/agents?q=${encodeURIComponent(q)}`)).json.items
          .map((a: { lastName: string }) => a.lastName)
          .sort();
      assert.deepEqual(await names(admin, 'dilindien'), ['DILINDIEN']);
      assert.deepEqual(await names(admin, 'Hugues'), ['DILINDIEN']);
      assert.deepEqual(await names(admin, 'HUGUËS'), ['DILINDIEN']);
      assert.deepEqual(await names(admin, 'maelle'), ['KERBRAT']);
      assert.deepEqual(await names(admin, 'Maëlle kerbrat'), ['KERBRAT']);
      assert.deepEqual(await names(admin, 'mael ker'), ['KERBRAT']);
      assert.deepEqual(await names(admin, '1002345678'), ['GIRARD']);
      assert.deepEqual(await names(admin, 'intradef'), ['GIRARD', 'KERBRAT', 'LE GALL', 'ROUX', 'TANGUY']);
      assert.deepEqual(await names(admin, 'dilindien kerbrat'), []);
      assert.deepEqual(await names(admin, 'g_rard'), [], '_ is not a wildcard');
      assert.deepEqual(await names(admin, 'gi%d'), [], '% is not a wildcard');
      assert.deepEqual(await names(operator, 'kerbrat'), [], 'out of the operator’s scope');
      assert.deepEqual(await names(operator, 'dilindien'), ['DILINDIEN']);
    });

    it('creates and edits agents, with French field errors', async () => {
      const body = {
        organizationId: town,
        identifier: 'durand.l77011',
        identifierKind: 'internal',
        lastName: 'Durand',
        firstNames: 'Léa',
        sex: 'F',
        birthDate: '31/02/1990',
        birthPlace: 'Melun',
        staffStatus: 'civil',
        email: 'lea@',
      };
      const bad = await ra.post('/api/agents', body);
      assertProblem(bad, 422);
      const fields = Object.fromEntries(
        bad.json.errors.map((e: { field: string; reason: string }) => [e.field, e.reason]),
      );
      assert.deepEqual(Object.keys(fields).sort(), ['birthDate', 'email']);
      assert.match(fields['birthDate'], /date inexistante/);
      assert.match(fields['email'], /adresse électronique invalide/);
      assert.equal((await admin.get('/api/agents?q=durand.l77011')).json.total, 0, 'nothing created');

      const created = await ra.post('/api/agents', {
        ...body,
        birthDate: '1990-02-28',
        email: 'lea.durand@mairie-aubepierre.fr',
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.lastName, 'DURAND');
      assert.equal(created.json.source, 'manual');
      assert.equal(created.json.organizationId, town);
      const id = created.json.id as string;
      assertProblem(
        await ra.post('/api/agents', { ...body, birthDate: '1990-02-28', email: null }),
        409,
        /déjà attribué/,
      );
      assertProblem(
        await operator.post('/api/agents', { ...body, identifier: 'autre.77', birthDate: '1990-02-28', email: null }),
        403,
      );

      // The operator may change contact details only.
      assertProblem(await operator.patch(`/api/agents/${id}`, { lastName: 'Dupont' }), 403, /droits nécessaires/);
      const badPhone = await operator.patch(`/api/agents/${id}`, { phone: 'abc' });
      assertProblem(badPhone, 422);
      assert.deepEqual(
        badPhone.json.errors.map((e: { field: string }) => e.field),
        ['phone'],
      );
      const phone = await operator.patch(`/api/agents/${id}`, { phone: '01 60 12 34 56' });
      assert.equal(phone.status, 200, phone.text);
      assert.equal(phone.json.phone, '+33160123456');
      const renamed = await ra.patch(`/api/agents/${id}`, { lastName: 'Dupont-Durand' });
      assert.equal(renamed.json.lastName, 'DUPONT-DURAND');
      assert.equal((await admin.get(`/api/agents/${id}`)).json.phone, '+33160123456');
    });

    it('accepts a conforming photo and returns the same bytes; refuses the others with French reasons', async () => {
      assertProblem(await admin.get(`/api/agents/${leroy}/photo`), 404, /pas de photo/);
      const up = await operator.put(`/api/agents/${leroy}/photo`, undefined, {
        raw: PHOTO_VALID,
        contentType: 'image/jpeg',
      });
      assert.equal(up.status, 200, up.text);
      assert.deepEqual(up.json, { ok: true, width: 283, height: 378, size: PHOTO_VALID.length });
      const back = await admin.get(`/api/agents/${leroy}/photo`);
      assert.equal(back.status, 200);
      assert.equal(back.headers.get('content-type'), 'image/jpeg');
      assert.ok(back.bytes.equals(PHOTO_VALID), 'same bytes');
      assert.equal((await admin.get(`/api/agents/${leroy}`)).json.hasPhoto, true);

      const wrong = await operator.put(`/api/agents/${leroy}/photo`, undefined, {
        raw: PHOTO_WRONG_SIZE,
        contentType: 'image/jpeg',
      });
      assertProblem(wrong, 422, /n'est pas conforme/);
      assert.ok(wrong.json.errors.length >= 1);
      assert.ok(wrong.json.errors.every((e: { field: string }) => e.field === 'photo'));
      assert.ok(
        wrong.json.errors.some((e: { reason: string }) =>
          /^La photo doit mesurer exactement 283 × 378 pixels \(reçue : \d+ × \d+\)\.$/.test(e.reason),
        ),
        JSON.stringify(wrong.json.errors),
      );

      const png = await operator.put(`/api/agents/${leroy}/photo`, undefined, { raw: PNG, contentType: 'image/jpeg' });
      assertProblem(png, 422);
      assert.deepEqual(
        png.json.errors.map((e: { reason: string }) => e.reason),
        ["Le fichier n'est pas une image JPEG."],
      );
      assert.ok(
        (await admin.get(`/api/agents/${leroy}/photo`)).bytes.equals(PHOTO_VALID),
        'refused uploads left the photo alone',
      );
    });
  });

  describe('HR feed import', () => {
    it('imports a CSV body and serves its rejects and report', async () => {
      const res = await ra.post(
        `/api/imports?organizationId=${town}&format=csv&fileName=hr-feed-sample.csv`,
        undefined,
        { raw: SAMPLE, contentType: 'text/csv' },
      );
      assert.equal(res.status, 201, res.text);
      const run = res.json;
      assert.equal(run.status, 'done');
      assert.equal(run.organizationId, town);
      assert.equal(run.organizationName, 'Aubepierre-Ozouer-le-Repos');
      assert.equal(run.fileName, 'hr-feed-sample.csv');
      assert.deepEqual([run.total, run.inserted, run.updated, run.rejected, run.deactivated], [12, 8, 1, 3, 0]);
      assert.equal(run.bytesTotal, SAMPLE.length);

      assert.equal((await ra.get(`/api/imports/${run.id}`)).json.status, 'done');
      const list = await ra.get(`/api/imports?organizationId=${town}`);
      assert.equal(list.json.items[0].id, run.id);

      const rejects = await ra.get(`/api/imports/${run.id}/rejects?pageSize=2`);
      assert.equal(rejects.status, 200);
      assert.equal(rejects.json.total, 4);
      assert.equal(rejects.json.items.length, 2);
      assert.deepEqual(
        rejects.json.items.map((r: { line: number }) => r.line),
        [8, 10],
      );
      const page2 = await ra.get(`/api/imports/${run.id}/rejects?pageSize=2&page=2`);
      assert.deepEqual(
        page2.json.items.map((r: { line: number; field: string }) => [r.line, r.field]),
        [
          [12, 'courriel'],
          [12, 'habilitations'],
        ],
      );

      const report = await ra.get(`/api/imports/${run.id}/report.csv`);
      assert.equal(report.status, 200);
      assert.match(report.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(report.headers.get('content-disposition') ?? '', /attachment/);
      const lines = report.text
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\n');
      assert.equal(lines[0], 'ligne;champ;motif');
      assert.equal(lines.length, 5);
      assert.match(lines[1]!, /^8;date_naissance;date inexistante/);
    });

    it('refuses a file that is not a feed with a single French detail', async () => {
      const before = await countRows(p.store.db, 'agents');
      const res = await ra.post(`/api/imports?organizationId=${town}`, undefined, {
        raw: PHOTO_VALID,
        contentType: 'application/octet-stream',
      });
      assertProblem(res, 422, /binaires|n.est pas|encod/);
      assert.equal(res.json.errors, undefined);
      assert.equal(await countRows(p.store.db, 'agents'), before);
    });

    it('lets a service account upload the feed of its organisation with a bearer token, until revoked', async () => {
      const made = await admin.post('/api/service-tokens', {
        name: 'SIRH de la mairie',
        organizationId: town,
        scopes: ['hr_import'],
      });
      assert.equal(made.status, 201, made.text);
      const { id, token } = made.json as { id: string; token: string };
      assert.ok(token.length > 40);
      const listed = await admin.get('/api/service-tokens');
      const entry = listed.json.items.find((t: { id: string }) => t.id === id);
      assert.deepEqual(
        { ...entry, createdAt: undefined },
        {
          id,
          name: 'SIRH de la mairie',
          organizationId: town,
          scopes: ['hr_import'],
          createdAt: undefined,
          revokedAt: null,
        },
      );
      assert.ok(!listed.text.includes(token), 'the token is shown only once');
      assertProblem(
        await admin.post('/api/service-tokens', { name: 'x', organizationId: town, scopes: ['tout'] }),
        422,
        /Portée inconnue/,
      );

      const bearer = { authorization: `Bearer ${token}` };
      const ok = await server.request('POST', `/api/imports?organizationId=${town}&fileName=service.csv`, undefined, {
        raw: SAMPLE,
        contentType: 'text/csv',
        headers: bearer,
      });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json.fileName, 'service.csv');
      assert.equal(ok.json.total, 12);
      const elsewhere = await server.request('POST', `/api/imports?organizationId=${brest}`, undefined, {
        raw: SAMPLE,
        contentType: 'text/csv',
        headers: bearer,
      });
      assertProblem(elsewhere, 403, /périmètre/);
      assertProblem(
        await server.request('GET', `/api/agents/${leroy}`, undefined, { headers: bearer }),
        403,
        /droits nécessaires/,
      );

      assert.equal((await admin.delete(`/api/service-tokens/${id}`)).status, 204);
      const revoked = await server.request('POST', `/api/imports?organizationId=${town}`, undefined, {
        raw: SAMPLE,
        contentType: 'text/csv',
        headers: bearer,
      });
      assertProblem(revoked, 401, /inconnu ou révoqué/);
      assertProblem(
        await server.request('GET', '/api/session', undefined, {
          headers: { authorization: 'Bearer cat_nimporte.quoi' },
        }),
        401,
      );
    });
  });

  describe('audit', () => {
    it('lets the auditor verify the chain and read the trail; the operator may not', async () => {
      const v = await auditor.post('/api/audit/verify');
      assert.equal(v.status, 200, v.text);
      assert.equal(v.json.ok, true);
      assert.equal(v.json.firstBroken, null);
      assert.equal(v.json.checked, v.json.headSeq);
      assert.equal(v.json.checked, await countRows(p.store.db, 'audit_log'));
      const trail = await auditor.get('/api/audit?pageSize=5');
      assert.equal(trail.status, 200);
      assert.equal(trail.json.items.length, 5);
      assert.ok(trail.json.items[0].seq > trail.json.items[1].seq, 'latest first');
      assertProblem(await operator.post('/api/audit/verify'), 403);
      assertProblem(await operator.get('/api/audit'), 403);
    });
  });

  describe('scope on every route', () => {
    // The town operator (martin.c77011) aims every documented route at Brest or other organisations.
    type Row =
      | { route: string; call: () => Promise<HttpResponse>; expect: 403 | 404 }
      | { route: string; list: () => Promise<HttpResponse>; ids: () => string[] }
      | { route: string; unscoped: string };
    let brestRun: string;
    let brestRole: string;
    let brestToken: string;
    let townAssessment: string;
    let mailId: string;
    let brestSerial: string;
    let brestCsr: string;
    let brestOrder: { request: string; number: string; batch: string; billing: string };
    let brestCard: { id: string; serial: string };
    let brestDocument: string;

    before(async () => {
      // A certificate of a Brest agent, so that the certificate routes have something to refuse.
      const pki = pkiEnvironment(p.config, {});
      await initPki(p.ctx, systemActor('test'), pki, {
        custodianSecrets: ['premier secret du dépositaire', 'second secret du dépositaire'],
      });
      const csrDir = mkdtempSync(join(tmpdir(), 'cartes-api-csr-'));
      brestCsr = opensslCsr(csrDir, 'r');
      rmSync(csrDir, { recursive: true, force: true });
      brestSerial = (
        await issueFromCsr(p.ctx, systemActor('test'), pki, {
          csr: brestCsr,
          profile: 'auth',
          agentIdentifier: '1002345678',
        })
      ).serial;
      const feed = Buffer.from(
        'identifiant;nom;prenoms;sexe;date_naissance;lieu_naissance\nbrest-9;Morvan;Loïc;M;01/01/1980;Brest\nbrest-10;Bad;Name;X;01/01/1980;Brest\n',
      );
      brestRun = (
        await importAgents(p.ctx, systemActor('test'), {
          organizationId: brest,
          format: 'csv',
          full: false,
          fileName: 'brest.csv',
          input: Readable.from([feed]),
          bytesTotal: feed.length,
        })
      ).id;
      brestRole = (
        await p.store.db
          .selectFrom('role_assignments')
          .select('id')
          .where('organization_id', '=', brest)
          .where('role', '=', 'operator')
          .executeTakeFirstOrThrow()
      ).id;
      brestToken = (
        await createServiceToken(p.ctx, systemActor('test'), {
          name: 'SIRH Brest',
          organizationId: brest,
          scopes: ['hr_import'],
        })
      ).id;
      townAssessment = (
        await p.store.db
          .selectFrom('self_assessments')
          .select('id')
          .where('organization_id', '=', town)
          .executeTakeFirstOrThrow()
      ).id;
      // Mails exist once an import by a person has finished; the refusal comes before the lookup anyway.
      mailId = (await p.store.db.selectFrom('mails').select('id').executeTakeFirst())?.id ?? p.ctx.newId();
    });

    before(async () => {
      // A Brest card request in a batch, billed, so that the request, batch and billing routes have something to refuse.
      const model = (
        await p.store.db
          .selectFrom('card_models')
          .select('id')
          .where('code', '=', 'cims-agent')
          .executeTakeFirstOrThrow()
      ).id;
      const now = new Date().toISOString();
      brestOrder = { request: p.ctx.newId(), number: 'D-2000-999999', batch: p.ctx.newId(), billing: p.ctx.newId() };
      await p.store.db
        .insertInto('request_batches')
        .values(batchRow(now, { id: brestOrder.batch, number: 'L-2000-9999', organization_id: brest, state: 'open' }))
        .execute();
      await p.store.db
        .insertInto('card_requests')
        .values(
          requestRow(now, {
            id: brestOrder.request,
            number: brestOrder.number,
            agent_id: brestAgent,
            organization_id: brest,
            model_id: model,
            kind: 'replacement',
            reason: 'loss',
            state: 'in_batch',
            billing: 'billed',
            price_cents: 3000,
            batch_id: brestOrder.batch,
          }),
        )
        .execute();
      await p.store.db
        .insertInto('billing_entries')
        .values({
          id: brestOrder.billing,
          organization_id: brest,
          request_id: brestOrder.request,
          agent_id: brestAgent,
          label: 'Remplacement (perte)',
          amount_cents: 3000,
          created_at: now,
        })
        .execute();
    });

    before(async () => {
      // A Brest card shipped to the Brest desk, so that the card routes have something to refuse.
      const model = (
        await p.store.db
          .selectFrom('card_models')
          .select('id')
          .where('code', '=', 'cims-agent')
          .executeTakeFirstOrThrow()
      ).id;
      const now = new Date().toISOString();
      brestCard = { id: p.ctx.newId(), serial: '1249999001' };
      await p.store.db
        .insertInto('cards')
        .values(
          cardRow(now, {
            id: brestCard.id,
            serial: brestCard.serial,
            model_id: model,
            agent_id: brestAgent,
            organization_id: brest,
            state: 'shipped',
          }),
        )
        .execute();
      brestDocument = p.ctx.newId();
      await p.store.db
        .insertInto('card_documents')
        .values({
          id: brestDocument,
          card_id: brestCard.id,
          kind: 'identity_copy',
          file_name: 'piece.pdf',
          content_type: 'application/pdf',
          bytes: Buffer.from('%PDF-1.4\n'),
          sha256: '0'.repeat(64),
          uploaded_by: null,
          created_at: now,
        })
        .execute();
    });

    // The processing centre (CAMID) and its files, which the town's operator neither works in nor sent.
    let bo: {
      centre: string;
      liaison: string;
      bt1: string;
      file: string;
      piece: string;
      pieceCode: string;
      letterFile: string;
      letter: string;
      slip: string;
      report: string;
      foreignFiles: string[];
      kind: Record<string, unknown>;
    };

    before(async () => {
      // The demonstration year of the centre: files of every status, pieces, letters, slips, reports.
      await loadDemoActivity(p.ctx);
      const db = p.store.db;
      const centre = await orgId(p.ctx, 'CAMID');
      const office = async (code: string) =>
        (
          await db
            .selectFrom('backoffice_offices')
            .select('organization_id')
            .where('centre_id', '=', centre)
            .where('code', '=', code)
            .executeTakeFirstOrThrow()
        ).organization_id;
      const unitFiles = await db
        .selectFrom('case_files')
        .select(['id', 'status'])
        .where('centre_id', '=', centre)
        .where('family', '=', 'unit')
        .where('sending_organization_id', '!=', town)
        .orderBy('number')
        .limit(50)
        .execute();
      const file = unitFiles.find((f) => f.status === 'received') ?? unitFiles[0]!;
      const piece = await db
        .selectFrom('case_file_pieces')
        .select(['id', 'code'])
        .where('case_file_id', '=', file.id)
        .executeTakeFirstOrThrow();
      const letter = await db
        .selectFrom('case_file_letters as l')
        .innerJoin('case_files as f', 'f.id', 'l.case_file_id')
        .select(['l.id', 'l.case_file_id'])
        .where('f.centre_id', '=', centre)
        .executeTakeFirstOrThrow();
      const slip = await db
        .selectFrom('transmittal_slips')
        .select('id')
        .where('centre_id', '=', centre)
        .where('sending_organization_id', '!=', town)
        .executeTakeFirstOrThrow();
      const report = await db
        .selectFrom('ageing_reports')
        .select('id')
        .where('centre_id', '=', centre)
        .executeTakeFirstOrThrow();
      const kinds = await admin.get('/api/backoffice/kinds');
      assert.equal(kinds.status, 200, kinds.text);
      const { familyLabel, source, version, updatedAt, ...kind } = kinds.json.items.find(
        (k: { code: string }) => k.code === 'fd_mission',
      );
      void [familyLabel, source, version, updatedAt];
      bo = {
        centre,
        liaison: await office('BL'),
        bt1: await office('BT1'),
        file: file.id,
        piece: piece.id,
        pieceCode: piece.code,
        letterFile: letter.case_file_id,
        letter: letter.id,
        slip: slip.id,
        report: report.id,
        foreignFiles: unitFiles.map((f) => f.id),
        kind,
      };
    });

    /**
     * Every back-office route aimed at the centre by `c`, with a body valid enough to reach the
     * authorization (a body refused by its schema would say nothing about scope).
     */
    function backofficeRows(c: Client): Row[] {
      const f = `/api/backoffice/files/${bo.file}`;
      const today = new Date().toISOString().slice(0, 10);
      const pdf = { raw: Buffer.from('%PDF-1.4\n% pièce\n'), contentType: 'application/pdf' };
      const amounts = { raw: Buffer.from('numero_dossier;montant;reference_decompte\n'), contentType: 'text/csv' };
      const call = (route: string, send: () => Promise<HttpResponse>): Row => ({ route, call: send, expect: 403 });
      return [
        {
          route: 'GET /api/backoffice/centres',
          list: () => c.get('/api/backoffice/centres'),
          ids: () => [bo.centre, bo.liaison, bo.bt1],
        },
        call('GET /api/backoffice/centres/:id', () => c.get(`/api/backoffice/centres/${bo.centre}`)),
        call('POST /api/backoffice/centres', () =>
          c.post('/api/backoffice/centres', {
            code: 'CAMID-2',
            name: 'Centre pirate',
            parentId: brest,
            servesOrganizationId: brest,
            offices: [
              { code: 'BL', name: 'Bureau de liaison', function: 'liaison' },
              { code: 'BT', name: 'Bureau de traitement', function: 'processing' },
            ],
          }),
        ),
        call('GET /api/backoffice/centres/:id/units', () => c.get(`/api/backoffice/centres/${bo.centre}/units`)),
        call('GET /api/backoffice/centres/:id/queues', () => c.get(`/api/backoffice/centres/${bo.centre}/queues`)),
        { route: 'GET /api/backoffice/kinds', unscoped: 'reference data (the kinds of case files)' },
        call('PUT /api/backoffice/kinds/:code', () =>
          c.put('/api/backoffice/kinds/fd_mission', { ...bo.kind, label: 'Type piraté' }),
        ),
        {
          route: 'GET /api/backoffice/files',
          list: () => c.get('/api/backoffice/files?pageSize=100'),
          ids: () => bo.foreignFiles,
        },
        call('GET /api/backoffice/files/:id', () => c.get(f)),
        call('GET /api/backoffice/files/:id/pieces/:pieceId/document', () => c.get(`${f}/pieces/${bo.piece}/document`)),
        call('GET /api/backoffice/files/:id/letters/:letterId', () =>
          c.get(`/api/backoffice/files/${bo.letterFile}/letters/${bo.letter}`),
        ),
        call('POST /api/backoffice/slips', () =>
          c.post('/api/backoffice/slips', {
            centreId: bo.centre,
            sendingOrganizationId: brest,
            unitReference: 'INTRUS/1',
            slipDate: today,
            files: [{ kind: 'fd_mission', personName: 'Paul INTRUS', pieces: ['ordre_mission'] }],
          }),
        ),
        call('GET /api/backoffice/slips', () => c.get(`/api/backoffice/slips?centreId=${bo.centre}`)),
        call('GET /api/backoffice/slips/:id', () => c.get(`/api/backoffice/slips/${bo.slip}`)),
        call('POST /api/backoffice/slips/:id/intake', () =>
          c.post(`/api/backoffice/slips/${bo.slip}/intake`, { files: [{ fileId: bo.file, register: true }] }),
        ),
        call('POST /api/backoffice/files/:id/pieces/:code', () =>
          c.post(`${f}/pieces/${bo.pieceCode}`, { present: true }),
        ),
        call('POST /api/backoffice/files/:id/checks/:code', () => c.post(`${f}/checks/signatures`, { ok: true })),
        call('POST /api/backoffice/files/:id/contacts', () =>
          c.post(`${f}/contacts`, { channel: 'phone', contactName: 'X', summary: 'Appel' }),
        ),
        call('POST /api/backoffice/files/:id/corrections', () =>
          c.post(`${f}/corrections`, { field: 'unitReference', value: 'X-1', note: 'Erreur' }),
        ),
        call('PUT /api/backoffice/files/:id/pieces/:code/document', () =>
          c.put(`${f}/pieces/${bo.pieceCode}/document?fileName=p.pdf`, undefined, pdf),
        ),
        call('POST /api/backoffice/files/:id/register', () => c.post(`${f}/register`)),
        call('POST /api/backoffice/files/:id/return', () => c.post(`${f}/return`, { reasons: ['Pièce manquante.'] })),
        call('POST /api/backoffice/files/:id/route', () => c.post(`${f}/route`, { officeId: bo.bt1 })),
        call('POST /api/backoffice/files/:id/priority', () =>
          c.post(`${f}/priority`, { priority: 'absolute', note: 'Urgent' }),
        ),
        call('POST /api/backoffice/files/:id/archive', () =>
          c.post(`${f}/archive`, { locationKind: 'box', box: 'B1', shelf: 'E1' }),
        ),
        call('POST /api/backoffice/files/:id/notify-unit', () =>
          c.post(`${f}/notify-unit`, { channel: 'phone', contactName: 'X' }),
        ),
        call('POST /api/backoffice/files/:id/take', () => c.post(`${f}/take`)),
        call('POST /api/backoffice/files/:id/release', () => c.post(`${f}/release`)),
        call('POST /api/backoffice/files/:id/defer', () => c.post(`${f}/defer`, { reason: 'Attente' })),
        call('POST /api/backoffice/files/:id/resume', () => c.post(`${f}/resume`)),
        call('POST /api/backoffice/files/:id/process', () =>
          c.post(`${f}/process`, { amountCents: 1000, movementReference: 'DEC-1' }),
        ),
        call('POST /api/backoffice/files/:id/self-check', () => c.post(`${f}/self-check`, { ok: true })),
        call('POST /api/backoffice/offices/:id/amounts', () =>
          c.post(`/api/backoffice/offices/${bo.bt1}/amounts`, undefined, amounts),
        ),
        call('POST /api/backoffice/offices/:id/transfer', () =>
          c.post(`/api/backoffice/offices/${bo.bt1}/transfer`, { fileIds: [bo.file], reference: 'MVT-1' }),
        ),
        call('GET /api/backoffice/archive', () => c.get(`/api/backoffice/archive?centreId=${bo.centre}`)),
        call('GET /api/backoffice/archive/transfers', () =>
          c.get(`/api/backoffice/archive/transfers?centreId=${bo.centre}`),
        ),
        call('POST /api/backoffice/archive/transfers', () =>
          c.post('/api/backoffice/archive/transfers', {
            centreId: bo.centre,
            destination: 'Service historique de la Défense',
            archivedBefore: today,
          }),
        ),
        call('GET /api/backoffice/ageing', () => c.get(`/api/backoffice/ageing?centreId=${bo.centre}`)),
        call('GET /api/backoffice/ageing/reports', () => c.get(`/api/backoffice/ageing/reports?centreId=${bo.centre}`)),
        call('POST /api/backoffice/ageing/reports', () =>
          c.post('/api/backoffice/ageing/reports', { centreId: bo.centre, days: 30 }),
        ),
        call('GET /api/backoffice/ageing/reports/:id', () => c.get(`/api/backoffice/ageing/reports/${bo.report}`)),
        call('PUT /api/backoffice/ageing/reports/:id/analysis', () =>
          c.put(`/api/backoffice/ageing/reports/${bo.report}/analysis`, { analysis: 'Retards', measures: 'Aucune' }),
        ),
        call('GET /api/backoffice/expenses', () =>
          c.get(`/api/backoffice/expenses?centreId=${bo.centre}&month=${today.slice(0, 7)}`),
        ),
      ];
    }

    /** What the back-office rows would change if they got through: the file, the kind, the centre's records. */
    async function centreState() {
      const db = p.store.db;
      const count = async (
        table: 'transmittal_slips' | 'ageing_reports' | 'archive_transfers' | 'backoffice_centres',
      ) => countRows(db, table);
      return {
        file: {
          ...(await db.selectFrom('case_files').selectAll().where('id', '=', bo.file).executeTakeFirstOrThrow()),
        },
        pieces: (
          await db
            .selectFrom('case_file_pieces')
            .select(['code', 'state', 'sha256'])
            .where('case_file_id', '=', bo.file)
            .orderBy('code')
            .execute()
        ).map((r) => ({ ...r })),
        kind: {
          ...(await db
            .selectFrom('case_file_kinds')
            .selectAll()
            .where('code', '=', 'fd_mission')
            .executeTakeFirstOrThrow()),
        },
        report: {
          ...(await db.selectFrom('ageing_reports').selectAll().where('id', '=', bo.report).executeTakeFirstOrThrow()),
        },
        slips: await count('transmittal_slips'),
        reports: await count('ageing_reports'),
        transfers: await count('archive_transfers'),
        centres: await count('backoffice_centres'),
      };
    }

    it('refuses every back-office change to the read-only roles (internal control, audit), each refusal audited', async () => {
      // They read the centre (status, reports, documents), and change nothing in it.
      const controller = await server.signIn('controle.interne');
      for (const [who, c] of [
        ['controller', controller],
        ['auditor', auditor],
      ] as const) {
        const writes = backofficeRows(c).filter(
          (r): r is Extract<Row, { call: unknown }> => 'call' in r && !r.route.startsWith('GET '),
        );
        assert.equal(
          writes.length,
          documentedRoutes().filter((r) => r.includes(' /api/backoffice/') && !r.startsWith('GET ')).length,
          'every documented back-office write',
        );
        const before = await centreState();
        const auditBefore = await countRows(p.store.db, 'audit_log');
        const failures: string[] = [];
        for (const row of writes) {
          const res = await row.call();
          if (res.status !== 403 || typeof res.json?.detail !== 'string')
            failures.push(`${who} ${row.route} → ${res.status} ${res.text.slice(0, 120)}`);
        }
        assert.deepEqual(failures, []);
        assert.deepEqual(await centreState(), before, `${who}: nothing changed in the processing centre`);
        const refusals = await p.store.db
          .selectFrom('audit_log')
          .select(['actor_id', 'outcome'])
          .where('seq', '>', auditBefore)
          .execute();
        assert.equal(refusals.length, writes.length, `${who}: one refused audit record per request, nothing else`);
        assert.ok(refusals.every((r) => r.outcome === 'refused'));
      }
      // Reading stays open to them: the file and the ageing report.
      for (const c of [controller, auditor]) {
        assert.equal((await c.get(`/api/backoffice/files/${bo.file}`)).status, 200);
        assert.equal((await c.get(`/api/backoffice/ageing?centreId=${bo.centre}`)).status, 200);
      }
    });

    it('never lets the town operator reach Brest (table of every documented route)', async () => {
      const brestIds = () => [brest, brestAgent, brestRun];
      const newAgent = {
        organizationId: brest,
        identifier: 'intrus-1',
        identifierKind: 'internal',
        lastName: 'Intrus',
        firstNames: 'Paul',
        sex: 'M',
        birthDate: '1980-01-01',
        birthPlace: 'Brest',
        staffStatus: 'civil',
      };
      const csv = { raw: SAMPLE, contentType: 'text/csv' };
      const fakeSignature = { nonce: 'n'.repeat(20), signature: 'A'.repeat(20), certificate: 'A'.repeat(20) };
      const jpeg = { raw: PHOTO_VALID, contentType: 'image/jpeg' };
      const rows: Row[] = [
        { route: 'GET /api/session', unscoped: 'the caller’s own session' },
        { route: 'POST /api/auth/link', unscoped: 'sign-in' },
        { route: 'POST /api/session/card/challenge', unscoped: 'sign-in' },
        { route: 'POST /api/session/card', unscoped: 'sign-in' },
        { route: 'POST /api/session/tls', unscoped: 'sign-in' },
        { route: 'POST /api/auth/logout', unscoped: 'the caller’s own session' },
        { route: 'GET /api/config', unscoped: 'public configuration' },
        { route: 'GET /api/reference', unscoped: 'reference data' },
        { route: 'POST /api/signatures/nonce', unscoped: 'a nonce for the caller’s own signature' },
        { route: 'GET /api/organizations', list: () => operator.get('/api/organizations'), ids: brestIds },
        { route: 'GET /api/organizations/:id', call: () => operator.get(`/api/organizations/${brest}`), expect: 403 },
        {
          route: 'POST /api/organizations',
          call: () =>
            operator.post('/api/organizations', { code: 'BREST-2', kind: 'unit', name: 'Annexe', parentId: brest }),
          expect: 403,
        },
        {
          route: 'PATCH /api/organizations/:id',
          call: () => operator.patch(`/api/organizations/${brest}`, { name: 'Base piratée' }),
          expect: 403,
        },
        {
          route: 'PUT /api/organizations/:id/agreement',
          call: () =>
            operator.put(`/api/organizations/${brest}/agreement`, {
              signedOn: '2026-01-01',
              mayorName: 'X',
              delegateIds: [brestAgent],
            }),
          expect: 403,
        },
        {
          route: 'POST /api/organizations/:id/agreement/notice',
          call: () => operator.post(`/api/organizations/${brest}/agreement/notice`, { givenOn: '2026-01-01' }),
          expect: 403,
        },
        {
          route: 'POST /api/organizations/:id/self-assessments',
          call: () =>
            operator.post(`/api/organizations/${brest}/self-assessments`, {
              assessedOn: '2026-01-01',
              answers: allConform(),
            }),
          expect: 403,
        },
        {
          route: 'POST /api/organizations/:id/self-assessments/:sid/lift',
          call: () => operator.post(`/api/organizations/${brest}/self-assessments/${townAssessment}/lift`),
          expect: 403,
        },
        {
          route: 'GET /api/organizations/:id/allocation-plan',
          call: () => operator.get(`/api/organizations/${brest}/allocation-plan?year=2026`),
          expect: 403,
        },
        {
          route: 'POST /api/organizations/:id/allocation-plan',
          call: () => operator.post(`/api/organizations/${brest}/allocation-plan`, { agentId: brestAgent, year: 2027 }),
          expect: 403,
        },
        {
          route: 'GET /api/agents',
          list: () => operator.get(`/api/agents?organizationId=${brest}&pageSize=100`),
          ids: brestIds,
        },
        { route: 'GET /api/agents/:id', call: () => operator.get(`/api/agents/${brestAgent}`), expect: 403 },
        { route: 'POST /api/agents', call: () => operator.post('/api/agents', newAgent), expect: 403 },
        {
          route: 'PATCH /api/agents/:id',
          call: () => operator.patch(`/api/agents/${brestAgent}`, { phone: '02 98 00 00 00' }),
          expect: 403,
        },
        {
          route: 'POST /api/agents/:id/deactivate',
          call: () => operator.post(`/api/agents/${brestAgent}/deactivate`),
          expect: 403,
        },
        {
          route: 'POST /api/agents/:id/reactivate',
          call: () => operator.post(`/api/agents/${brestAgent}/reactivate`),
          expect: 403,
        },
        { route: 'DELETE /api/agents/:id', call: () => operator.delete(`/api/agents/${brestAgent}`), expect: 403 },
        {
          route: 'PUT /api/agents/:id/photo',
          call: () => operator.put(`/api/agents/${brestAgent}/photo`, undefined, jpeg),
          expect: 403,
        },
        {
          route: 'GET /api/agents/:id/photo',
          call: () => operator.get(`/api/agents/${brestAgent}/photo`),
          expect: 403,
        },
        {
          route: 'POST /api/imports',
          call: () => operator.post(`/api/imports?organizationId=${brest}`, undefined, csv),
          expect: 403,
        },
        { route: 'GET /api/imports', list: () => operator.get(`/api/imports?organizationId=${brest}`), ids: brestIds },
        { route: 'GET /api/imports/:id', call: () => operator.get(`/api/imports/${brestRun}`), expect: 403 },
        {
          route: 'GET /api/imports/:id/rejects',
          call: () => operator.get(`/api/imports/${brestRun}/rejects`),
          expect: 403,
        },
        {
          route: 'GET /api/imports/:id/report.csv',
          call: () => operator.get(`/api/imports/${brestRun}/report.csv`),
          expect: 403,
        },
        { route: 'GET /api/audit', call: () => operator.get(`/api/audit?targetId=${brestAgent}`), expect: 403 },
        { route: 'POST /api/audit/verify', call: () => operator.post('/api/audit/verify'), expect: 403 },
        { route: 'GET /api/mails', call: () => operator.get('/api/mails'), expect: 403 },
        { route: 'GET /api/mails/:id', call: () => operator.get(`/api/mails/${mailId}`), expect: 403 },
        {
          route: 'POST /api/role-assignments',
          call: () =>
            operator.post('/api/role-assignments', { agentId: brestAgent, role: 'operator', organizationId: brest }),
          expect: 403,
        },
        {
          route: 'DELETE /api/role-assignments/:id',
          call: () => operator.delete(`/api/role-assignments/${brestRole}`),
          expect: 403,
        },
        { route: 'GET /api/service-tokens', call: () => operator.get('/api/service-tokens'), expect: 403 },
        {
          route: 'POST /api/service-tokens',
          call: () =>
            operator.post('/api/service-tokens', { name: 'pirate', organizationId: brest, scopes: ['hr_import'] }),
          expect: 403,
        },
        {
          route: 'DELETE /api/service-tokens/:id',
          call: () => operator.delete(`/api/service-tokens/${brestToken}`),
          expect: 403,
        },
        { route: 'GET /api/pki/authorities', unscoped: 'public CA certificates' },
        {
          route: 'GET /api/certificates',
          list: () => operator.get('/api/certificates'),
          ids: () => [brestSerial, brestAgent],
        },
        {
          route: 'POST /api/certificates',
          call: () =>
            operator.post('/api/certificates', { csr: brestCsr, profile: 'sign', agentIdentifier: '1002345678' }),
          expect: 403,
        },
        {
          route: 'POST /api/certificates/:serial/accept',
          call: () => operator.post(`/api/certificates/${brestSerial}/accept`, {}),
          expect: 403,
        },
        {
          route: 'POST /api/certificates/:serial/suspend',
          call: () => operator.post(`/api/certificates/${brestSerial}/suspend`, {}),
          expect: 403,
        },
        {
          route: 'POST /api/certificates/:serial/resume',
          call: () => operator.post(`/api/certificates/${brestSerial}/resume`, {}),
          expect: 403,
        },
        {
          route: 'POST /api/certificates/:serial/revoke',
          call: () => operator.post(`/api/certificates/${brestSerial}/revoke`, { reason: 'keyCompromise' }),
          expect: 403,
        },
        { route: 'GET /api/card-models', unscoped: 'reference data' },
        {
          route: 'GET /api/agents/:id/card-prerequisites',
          call: () => operator.get(`/api/agents/${brestAgent}/card-prerequisites?modelId=cims-agent`),
          expect: 403,
        },
        {
          route: 'POST /api/card-requests',
          call: () =>
            operator.post('/api/card-requests', { agentId: brestAgent, modelId: 'cims-agent', kind: 'first_issue' }),
          expect: 403,
        },
        {
          route: 'GET /api/card-requests',
          list: () => operator.get(`/api/card-requests?organizationId=${brest}&pageSize=100`),
          ids: () => [brestOrder.request, brestOrder.number, brestAgent],
        },
        {
          route: 'GET /api/card-requests/:id',
          call: () => operator.get(`/api/card-requests/${brestOrder.request}`),
          expect: 403,
        },
        {
          route: 'PATCH /api/card-requests/:id',
          call: () => operator.patch(`/api/card-requests/${brestOrder.request}`, { kind: 'instant' }),
          expect: 403,
        },
        {
          route: 'POST /api/card-requests/:id/recheck',
          call: () => operator.post(`/api/card-requests/${brestOrder.request}/recheck`),
          expect: 403,
        },
        {
          route: 'POST /api/card-requests/:id/sign',
          call: () => operator.post(`/api/card-requests/${brestOrder.request}/sign`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/card-requests/:id/cancel',
          call: () =>
            operator.post(`/api/card-requests/${brestOrder.request}/cancel`, {
              reason: 'intrusion',
              signature: fakeSignature,
            }),
          expect: 403,
        },
        {
          route: 'POST /api/batches',
          call: () => operator.post('/api/batches', { requestIds: [brestOrder.request], signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'GET /api/batches',
          list: () => operator.get(`/api/batches?organizationId=${brest}&pageSize=100`),
          ids: () => [brestOrder.batch, 'L-2000-9999'],
        },
        { route: 'GET /api/batches/:id', call: () => operator.get(`/api/batches/${brestOrder.batch}`), expect: 403 },
        {
          route: 'POST /api/batches/:id/validate',
          call: () => operator.post(`/api/batches/${brestOrder.batch}/validate`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'GET /api/billing',
          list: () => operator.get(`/api/billing?organizationId=${brest}`),
          ids: () => [brestOrder.billing, brestOrder.request, brestOrder.number],
        },
        {
          route: 'GET /api/billing.csv',
          list: () => operator.get(`/api/billing.csv?organizationId=${brest}`),
          ids: () => [brestOrder.number, 'Base navale de Brest'],
        },
        {
          route: 'POST /api/batches/:id/send',
          call: () => operator.post(`/api/batches/${brestOrder.batch}/send`),
          expect: 403,
        },
        {
          route: 'GET /api/production',
          list: () => operator.get(`/api/production?batchId=${brestOrder.batch}`),
          ids: () => [brestOrder.batch, 'L-2000-9999'],
        },
        {
          route: 'GET /api/cards',
          list: () => operator.get(`/api/cards?organizationId=${brest}&pageSize=200`),
          ids: () => [brestCard.id, brestCard.serial],
        },
        {
          route: 'GET /api/cards/to-hand-over',
          list: () => operator.get(`/api/cards/to-hand-over?q=${brestCard.serial}`),
          ids: () => [brestCard.id, brestCard.serial],
        },
        { route: 'GET /api/cards/:id', call: () => operator.get(`/api/cards/${brestCard.id}`), expect: 403 },
        {
          route: 'POST /api/cards/:id/receive',
          call: () => operator.post(`/api/cards/${brestCard.id}/receive`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/resend-code',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/resend-code`, { channel: 'post', signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'GET /api/holders',
          list: () => operator.get('/api/holders?pageSize=200'),
          ids: () => [brestAgent, brestCard.serial],
        },
        {
          route: 'GET /api/cards/:id/handover',
          call: () => operator.get(`/api/cards/${brestCard.id}/handover`),
          expect: 403,
        },
        {
          route: 'PUT /api/cards/:id/identity-copy',
          call: () =>
            operator.put(`/api/cards/${brestCard.id}/identity-copy?fileName=x.pdf`, undefined, {
              raw: Buffer.from('%PDF-1.4\n'),
              contentType: 'application/pdf',
            }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/handover',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/handover`, {
              identityDocumentType: 'passport',
              identityDocumentNumber: '22AZ25916',
              signature: fakeSignature,
            }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/invalidate',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/invalidate`, { reason: 'intrusion', signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'GET /api/cards/:id/activation',
          call: () => operator.get(`/api/cards/${brestCard.id}/activation`),
          expect: 403,
        },
        {
          route: 'GET /api/cards/:id/attestation.pdf',
          call: () => operator.get(`/api/cards/${brestCard.id}/attestation.pdf`),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/activation/refuse',
          call: () => operator.post(`/api/cards/${brestCard.id}/activation/refuse`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/activation/code',
          call: () => operator.post(`/api/cards/${brestCard.id}/activation/code`, { code: '123456' }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/activation/admin-response',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/activation/admin-response`, {
              operation: 'set-pin:auth',
              challenge: Buffer.alloc(16).toString('base64'),
            }),
          expect: 403,
        },
        {
          route: 'GET /api/cards/:id/activation/content',
          call: () => operator.get(`/api/cards/${brestCard.id}/activation/content`),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/activation/complete',
          call: () => operator.post(`/api/cards/${brestCard.id}/activation/complete`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/finalize',
          call: () => operator.post(`/api/cards/${brestCard.id}/finalize`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/unblock-response',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/unblock-response`, {
              operation: 'reset-pin:auth',
              challenge: Buffer.alloc(16).toString('base64'),
              signature: fakeSignature,
            }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/revoke',
          call: () => operator.post(`/api/cards/${brestCard.id}/revoke`, { reason: 'lost', signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/resume',
          call: () => operator.post(`/api/cards/${brestCard.id}/resume`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/return',
          call: () => operator.post(`/api/cards/${brestCard.id}/return`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/destroy',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/destroy`, { method: 'shredder', signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'GET /api/cards/:id/documents',
          call: () => operator.get(`/api/cards/${brestCard.id}/documents`),
          expect: 403,
        },
        {
          route: 'GET /api/cards/:id/documents/:documentId',
          call: () => operator.get(`/api/cards/${brestCard.id}/documents/${brestDocument}`),
          expect: 403,
        },
        {
          route: 'GET /api/cards/:id/renewal',
          call: () => operator.get(`/api/cards/${brestCard.id}/renewal`),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/renewal/presence-challenge',
          call: () => operator.post(`/api/cards/${brestCard.id}/renewal/presence-challenge`),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/renewal/presence',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/renewal/presence`, {
              challengeId: 'x',
              challenge: 'y',
              signature: 'z',
              certificate: 'w',
            }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/renewal/presence-secrets',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/renewal/presence-secrets`, { holderAccess: 'x'.repeat(43) }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/renewal/admin-response',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/renewal/admin-response`, {
              operation: 'personalize',
              challenge: Buffer.alloc(16).toString('base64'),
            }),
          expect: 403,
        },
        {
          route: 'POST /api/cards/:id/renewal/issue',
          call: () =>
            operator.post(`/api/cards/${brestCard.id}/renewal/issue`, {
              profile: 'auth',
              spki: 'AAAA',
              attestation: 'AAAA',
              signature: fakeSignature,
            }),
          expect: 403,
        },
        {
          route: 'POST /api/agents/:id/reset-secrets',
          call: () => operator.post(`/api/agents/${brestAgent}/reset-secrets`, { signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/agents/:id/departure',
          call: () =>
            operator.post(`/api/agents/${brestAgent}/departure`, { reason: 'retirement', signature: fakeSignature }),
          expect: 403,
        },
        {
          route: 'POST /api/agents/:id/transfer',
          call: () =>
            operator.post(`/api/agents/${brestAgent}/transfer`, {
              toOrganizationId: brest,
              habilitations: [],
              signature: fakeSignature,
            }),
          expect: 403,
        },
        { route: 'GET /api/me/cards', unscoped: 'the caller’s own cards' },
        { route: 'GET /api/me/secret-questions', unscoped: 'reference data' },
        { route: 'POST /api/me/secrets', unscoped: 'the caller’s own secrets' },
        {
          route: 'POST /api/me/cards/:id/declare',
          call: () => operator.post(`/api/me/cards/${brestCard.id}/declare`, { kind: 'loss' }),
          expect: 403,
        },
        { route: 'POST /api/holder-access', unscoped: 'identification of a holder by secrets' },
        { route: 'GET /api/holder-access/cards', unscoped: 'the identified holder’s own cards' },
        { route: 'POST /api/holder-access/unblock-response', unscoped: 'the identified holder’s own card' },
        { route: 'POST /api/holder-access/cards/:id/declare', unscoped: 'the identified holder’s own card' },
        ...backofficeRows(operator),
      ];

      // The table covers exactly the routes of the API contract.
      assert.deepEqual(rows.map((r) => r.route).sort(), documentedRoutes());

      const brestBefore = await p.store.db
        .selectFrom('agents')
        .selectAll()
        .where('organization_id', '=', brest)
        .orderBy('id')
        .execute();
      const centreBefore = await centreState();
      const auditBefore = await countRows(p.store.db, 'audit_log');
      const failures: string[] = [];
      let denied = 0;
      for (const row of rows) {
        if ('unscoped' in row) continue;
        if ('call' in row) {
          const res = await row.call();
          if (
            res.status !== row.expect ||
            !/problem\+json/.test(res.headers.get('content-type') ?? '') ||
            typeof res.json?.detail !== 'string'
          ) {
            failures.push(`${row.route} → ${res.status} ${res.text.slice(0, 120)}`);
          } else denied++;
        } else {
          const res = await row.list();
          const foreign = row.ids().filter((id) => res.text.includes(id));
          if (res.status !== 200 || foreign.length)
            failures.push(`${row.route} → ${res.status}, Brest ids in the answer: ${foreign.join(', ')}`);
        }
      }
      assert.deepEqual(failures, []);

      // Nothing changed in Brest, and each refusal left a trace.
      const brestAfter = await p.store.db
        .selectFrom('agents')
        .selectAll()
        .where('organization_id', '=', brest)
        .orderBy('id')
        .execute();
      assert.deepEqual(
        brestAfter.map((a) => ({ ...a })),
        brestBefore.map((a) => ({ ...a })),
      );
      const role = await p.store.db
        .selectFrom('role_assignments')
        .select('revoked_at')
        .where('id', '=', brestRole)
        .executeTakeFirstOrThrow();
      assert.equal(role.revoked_at, null);
      const tok = await p.store.db
        .selectFrom('service_tokens')
        .select('revoked_at')
        .where('id', '=', brestToken)
        .executeTakeFirstOrThrow();
      assert.equal(tok.revoked_at, null);
      const org = await p.store.db
        .selectFrom('organizations')
        .select('name')
        .where('id', '=', brest)
        .executeTakeFirstOrThrow();
      assert.equal(org.name, 'Base navale de Brest');
      assert.deepEqual(await centreState(), centreBefore, 'nothing changed in the processing centre');
      const refusals = await p.store.db
        .selectFrom('audit_log')
        .select(['action', 'actor_id'])
        .where('seq', '>', auditBefore)
        .where('outcome', '=', 'refused')
        .execute();
      assert.equal(refusals.length, denied, 'one refused audit record per denied request');
      const martin = await agentId(p.ctx, 'martin.c77011');
      assert.ok(refusals.every((r) => r.actor_id === martin));

      // The session itself still works: the refusals are about scope, not about being signed in.
      assert.equal((await operator.get(`/api/agents/${leroy}`)).status, 200);
    });
  });
});
