import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FEED_COLUMNS,
  HABILITATION_CODES,
  checkHeader,
  recordFingerprint,
  resolveColumnName,
  validateFeedRow,
  type AgentFeedRecord,
  type FeedRowResult,
} from './hr-feed.ts';

const TODAY = '2025-06-15';
const opts = { today: TODAY };

const HUGUES = {
  identifiant: '2010002684dh',
  type_identifiant: 'interne',
  nom: 'Dilindien',
  prenoms: 'Hugues',
  sexe: 'M',
  date_naissance: '01/01/1970',
  lieu_naissance: 'Melun',
  courriel: 'hugues.dilindien@mairie-aubepierre.fr',
  telephone: '',
  adresse_unite: '',
  statut: 'civil',
  categorie: '',
  profil: '',
  habilitations: 'COMEDEC',
  organisation: '',
};

const HUGUES_RECORD: AgentFeedRecord = {
  identifier: '2010002684dh',
  identifierKind: 'internal',
  lastName: 'DILINDIEN',
  firstNames: 'Hugues',
  sex: 'M',
  birthDate: '1970-01-01',
  birthPlace: 'Melun',
  email: 'hugues.dilindien@mairie-aubepierre.fr',
  phone: null,
  unitAddress: null,
  staffStatus: 'civil',
  category: null,
  profile: null,
  habilitations: ['COMEDEC'],
  organizationCode: null,
};

function valid(overrides: Record<string, string | undefined>): AgentFeedRecord {
  const r = validateFeedRow({ ...HUGUES, ...overrides }, opts);
  if (!r.ok) assert.fail(`expected a valid row, got ${JSON.stringify(r.errors)}`);
  return r.record;
}

function errorsOf(overrides: Record<string, string | undefined>): { field: string; reason: string }[] {
  const r = validateFeedRow({ ...HUGUES, ...overrides }, opts);
  if (r.ok) assert.fail(`expected errors, got ${JSON.stringify(r.record)}`);
  return r.errors;
}

/** Asserts the row fails with exactly one error, on `field`, whose reason matches `reason`. */
function rejects(overrides: Record<string, string | undefined>, field: string, reason?: RegExp): void {
  const errors = errorsOf(overrides);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]?.field, field);
  if (reason) assert.match(errors[0]?.reason ?? '', reason);
}

describe('resolveColumnName', () => {
  it('accepts French names in any case, with or without accents, and English aliases', () => {
    assert.equal(resolveColumnName('prenoms'), 'prenoms');
    assert.equal(resolveColumnName('Prénoms'), 'prenoms');
    assert.equal(resolveColumnName(' TÉLÉPHONE '), 'telephone');
    assert.equal(resolveColumnName('Catégorie'), 'categorie');
    assert.equal(resolveColumnName('adresse_unité'), 'adresse_unite');
    assert.equal(resolveColumnName('Date naissance'), 'date_naissance');
    assert.equal(resolveColumnName('last_name'), 'nom');
    assert.equal(resolveColumnName('Birth_Date'), 'date_naissance');
    assert.equal(resolveColumnName('organization'), 'organisation');
  });

  it('returns null for unknown names, including Object prototype keys', () => {
    for (const n of ['matricule', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      assert.equal(resolveColumnName(n), null, n);
    }
  });
});

describe('checkHeader', () => {
  it('maps the reference header', () => {
    const r = checkHeader([...FEED_COLUMNS]);
    assert.deepEqual(r, { ok: true, columns: [...FEED_COLUMNS] });
  });

  it('accepts accented, upper-case and English names in any order', () => {
    const r = checkHeader([
      'Prénoms',
      'NOM',
      'Identifiant',
      'Sexe',
      'Date_Naissance',
      'Lieu_Naissance',
      'Téléphone',
      'Catégorie',
      'Adresse_Unité',
      'identifier_kind',
      'email',
      'status',
      'profile',
      'Habilitations',
      'organization',
    ]);
    assert.deepEqual(r, {
      ok: true,
      columns: [
        'prenoms',
        'nom',
        'identifiant',
        'sexe',
        'date_naissance',
        'lieu_naissance',
        'telephone',
        'categorie',
        'adresse_unite',
        'type_identifiant',
        'courriel',
        'statut',
        'profil',
        'habilitations',
        'organisation',
      ],
    });
  });

  it('accepts the English header', () => {
    const r = checkHeader([
      'identifier',
      'last_name',
      'first_names',
      'sex',
      'birth_date',
      'birth_place',
      'phone',
      'unit_address',
      'category',
    ]);
    assert.equal(r.ok, true);
  });

  it('needs only the required columns', () => {
    const r = checkHeader(['identifiant', 'nom', 'prenoms', 'sexe', 'date_naissance', 'lieu_naissance']);
    assert.equal(r.ok, true);
  });

  it('names the missing required columns', () => {
    const r = checkHeader(['identifiant', 'sexe', 'date_naissance', 'lieu_naissance', 'courriel']);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /obligatoires absentes : nom, prenoms/);
  });

  it('rejects unknown columns, naming them', () => {
    const r = checkHeader([...FEED_COLUMNS, 'matricule']);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /colonnes inconnues : « matricule »/);
  });

  it('rejects a column given twice (even as French name and alias)', () => {
    const r = checkHeader([...FEED_COLUMNS, 'last_name']);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /en double : nom \(« nom », « last_name »\)/);
  });

  it('reports every problem in a single French message', () => {
    const r = checkHeader(['identifiant', 'sexe', 'sexe', 'date_naissance', 'lieu_naissance', 'foo']);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.error, /^En-tête du flux SIRH invalide : /);
      assert.match(r.error, /absentes : nom, prenoms/);
      assert.match(r.error, /« foo »/);
      assert.match(r.error, /en double : sexe/);
    }
  });

  it('ignores trailing unnamed cells (line ending with ";") but not unnamed cells in the middle', () => {
    const req = ['identifiant', 'nom', 'prenoms', 'sexe', 'date_naissance', 'lieu_naissance'];
    const r = checkHeader([...req, '', ' ']);
    assert.deepEqual(r, { ok: true, columns: [...req, null, null] });
    const bad = checkHeader(['identifiant', '', ...req.slice(1)]);
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.error, /sans nom en position 2/);
  });

  it('rejects an empty header', () => {
    const r = checkHeader(['', '']);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /vide/);
  });
});

describe('validateFeedRow', () => {
  it('normalises a valid row', () => {
    assert.deepEqual(validateFeedRow(HUGUES, opts), { ok: true, record: HUGUES_RECORD });
  });

  it('trims every value and treats empty strings as absent', () => {
    const r = valid({
      identifiant: ' 2010002684dh ',
      nom: '  Dilindien ',
      courriel: '   ',
      telephone: '',
      statut: ' ',
      type_identifiant: '',
    });
    assert.deepEqual(r, { ...HUGUES_RECORD, email: null });
  });

  it('only needs the required fields, with defaults', () => {
    const r = validateFeedRow(
      {
        identifiant: 'a1',
        nom: 'Martin',
        prenoms: 'Léa',
        sexe: 'F',
        date_naissance: '1990-05-04',
        lieu_naissance: 'Lyon',
      },
      opts,
    );
    assert.deepEqual(r, {
      ok: true,
      record: {
        identifier: 'a1',
        identifierKind: 'internal',
        lastName: 'MARTIN',
        firstNames: 'Léa',
        sex: 'F',
        birthDate: '1990-05-04',
        birthPlace: 'Lyon',
        email: null,
        phone: null,
        unitAddress: null,
        staffStatus: 'civil',
        category: null,
        profile: null,
        habilitations: [],
        organizationCode: null,
      },
    });
  });

  it('reports all missing required fields', () => {
    const r = validateFeedRow({}, opts);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.deepEqual(
        r.errors.map((e) => e.field),
        ['identifiant', 'nom', 'prenoms', 'sexe', 'date_naissance', 'lieu_naissance'],
      );
      for (const e of r.errors) assert.equal(e.reason, 'valeur obligatoire manquante');
    }
  });

  it('reports all the problems of a row at once', () => {
    const errors = errorsOf({
      identifiant: 'a b',
      nom: 'Dupont2',
      sexe: 'X',
      date_naissance: '31/02/1990',
      courriel: 'pas-une-adresse',
      telephone: '12',
      statut: 'réserviste',
      habilitations: 'COMEDEC|PASSEPORT',
      organisation: 'org é',
    });
    assert.deepEqual(
      errors.map((e) => e.field),
      [
        'identifiant',
        'nom',
        'sexe',
        'date_naissance',
        'courriel',
        'telephone',
        'statut',
        'habilitations',
        'organisation',
      ],
    );
  });

  it('accepts English alias keys and ignores unknown keys', () => {
    const r = validateFeedRow(
      {
        identifier: 'x-1',
        last_name: 'Durand',
        first_names: 'Paul',
        sex: 'm',
        birth_date: '1980-01-02',
        birth_place: 'Nice',
        whatever: 'ignored',
      },
      opts,
    );
    assert.equal(r.ok, true);
  });

  it('rejects a column given both by its French name and its alias', () => {
    rejects({ last_name: 'Autre' }, 'nom', /plusieurs fois/);
  });

  it('flags undecodable characters (U+FFFD) as an encoding problem', () => {
    rejects({ prenoms: 'H\uFFFDl\uFFFDne' }, 'prenoms', /encodé en UTF-8/);
  });

  it('throws only when options.today is not a date', () => {
    assert.throws(() => validateFeedRow(HUGUES, { today: '15/06/2025' }), RangeError);
    assert.throws(() => validateFeedRow(HUGUES, { today: '2025-02-30' }), RangeError);
  });

  describe('identifiant and type_identifiant', () => {
    it('requires a non-empty identifier of at most 64 [A-Za-z0-9._-] characters', () => {
      rejects({ identifiant: '' }, 'identifiant', /obligatoire/);
      rejects({ identifiant: 'a'.repeat(65) }, 'identifiant', /64 caractères au maximum \(65 reçus\)/);
      assert.equal(valid({ identifiant: 'A'.repeat(64) }).identifier, 'A'.repeat(64));
      assert.equal(valid({ identifiant: 'ag.01_x-2' }).identifier, 'ag.01_x-2');
      for (const id of ['a b', 'héloïse', 'a/b', 'a;b', 'a@b'])
        rejects({ identifiant: id }, 'identifiant', /caractères autorisés/);
    });

    it('defaults to internal and accepts interne / internal, case-insensitively', () => {
      assert.equal(valid({ type_identifiant: undefined }).identifierKind, 'internal');
      assert.equal(valid({ type_identifiant: 'INTERNE' }).identifierKind, 'internal');
      assert.equal(valid({ type_identifiant: 'internal' }).identifierKind, 'internal');
    });

    it('nid: 6 to 15 digits', () => {
      assert.equal(valid({ type_identifiant: 'nid', identifiant: '123456' }).identifierKind, 'nid');
      assert.equal(valid({ type_identifiant: 'NID', identifiant: '123456789012345' }).identifierKind, 'nid');
      rejects({ type_identifiant: 'nid', identifiant: '12345' }, 'identifiant', /nid.*6 à 15 chiffres/);
      rejects({ type_identifiant: 'nid', identifiant: '1234567890123456' }, 'identifiant', /6 à 15 chiffres/);
      rejects({ type_identifiant: 'nid', identifiant: '2010002684dh' }, 'identifiant', /6 à 15 chiffres/);
    });

    it('alliance: exactly 10 digits', () => {
      assert.equal(valid({ type_identifiant: 'alliance', identifiant: '2010002684' }).identifierKind, 'alliance');
      rejects({ type_identifiant: 'alliance', identifiant: '201000268' }, 'identifiant', /exactement 10 chiffres/);
      rejects({ type_identifiant: 'Alliance', identifiant: '20100026845' }, 'identifiant', /exactement 10 chiffres/);
      rejects({ type_identifiant: 'alliance', identifiant: '2010002684dh' }, 'identifiant', /10 chiffres/);
    });

    it('rejects an unknown kind', () => {
      rejects({ type_identifiant: 'insee' }, 'type_identifiant', /« insee » inconnue.*nid, alliance, interne/);
    });
  });

  describe('nom and prenoms', () => {
    it('upper-cases nom (accents kept) and collapses spaces', () => {
      assert.equal(valid({ nom: '  de la   Fontaine-Dupré ' }).lastName, 'DE LA FONTAINE-DUPRÉ');
      assert.equal(valid({ nom: 'Lœuillet' }).lastName, 'LŒUILLET');
    });

    it('accepts apostrophes (typographic ones become straight)', () => {
      assert.equal(valid({ nom: 'd’Artagnan' }).lastName, "D'ARTAGNAN");
      assert.equal(valid({ nom: "N'Diaye", prenoms: 'Aïssatou' }).lastName, "N'DIAYE");
    });

    it('trims prenoms and collapses inner spaces, keeping the case', () => {
      assert.equal(valid({ prenoms: '  Marie   Anne\tJosé ' }).firstNames, 'Marie Anne José');
      assert.equal(valid({ prenoms: 'Jean-Baptiste' }).firstNames, 'Jean-Baptiste');
    });

    it('rejects digits, punctuation and letter-less values', () => {
      rejects({ nom: 'Dupont2' }, 'nom', /lettres/);
      rejects({ nom: 'Dupont, Martin' }, 'nom', /lettres/);
      rejects({ prenoms: 'Jean.' }, 'prenoms', /lettres/);
      rejects({ prenoms: " - ' " }, 'prenoms', /lettres/);
    });

    it('limits to 100 characters', () => {
      assert.equal(valid({ nom: 'A'.repeat(100) }).lastName.length, 100);
      rejects({ nom: 'A'.repeat(101) }, 'nom', /100 caractères au maximum/);
      rejects({ prenoms: 'é'.repeat(101) }, 'prenoms', /100 caractères au maximum \(101 reçus\)/);
    });

    it('requires both', () => {
      rejects({ nom: ' ' }, 'nom', /obligatoire/);
      rejects({ prenoms: undefined }, 'prenoms', /obligatoire/);
    });
  });

  describe('sexe', () => {
    it('accepts F/M in any case and féminin/masculin with or without accent', () => {
      for (const [v, expected] of [
        ['F', 'F'],
        ['f', 'F'],
        ['féminin', 'F'],
        ['FEMININ', 'F'],
        ['M', 'M'],
        ['m', 'M'],
        ['Masculin', 'M'],
      ] as const) {
        assert.equal(valid({ sexe: v }).sex, expected, v);
      }
    });

    it('rejects other values', () => {
      rejects({ sexe: 'X' }, 'sexe', /« X » inconnue/);
      rejects({ sexe: 'femme' }, 'sexe');
      rejects({ sexe: '' }, 'sexe', /obligatoire/);
    });
  });

  describe('date_naissance', () => {
    it('accepts JJ/MM/AAAA (one-digit day/month too) and AAAA-MM-JJ', () => {
      assert.equal(valid({ date_naissance: '01/01/1970' }).birthDate, '1970-01-01');
      assert.equal(valid({ date_naissance: '1/2/1990' }).birthDate, '1990-02-01');
      assert.equal(valid({ date_naissance: '1985-03-14' }).birthDate, '1985-03-14');
    });

    it('rejects other formats', () => {
      for (const d of ['1990/01/01', '01-01-1970', '01/01/70', '19700101', '1970-1-1', 'hier']) {
        rejects({ date_naissance: d }, 'date_naissance', /format de date invalide/);
      }
    });

    it('rejects dates that do not exist', () => {
      for (const d of ['31/02/1990', '29/02/1900', '29/02/2009', '1990-13-01', '00/01/1990', '1990-04-31']) {
        rejects({ date_naissance: d }, 'date_naissance', /date inexistante/);
      }
      assert.equal(valid({ date_naissance: '29/02/2000' }).birthDate, '2000-02-29');
    });

    it('rejects years before 1900', () => {
      rejects({ date_naissance: '31/12/1899' }, 'date_naissance', /antérieure à 1900/);
      assert.equal(valid({ date_naissance: '01/01/1900' }).birthDate, '1900-01-01');
    });

    it('rejects dates after the reference date', () => {
      rejects({ date_naissance: '2025-06-16' }, 'date_naissance', /postérieure à la date du jour \(2025-06-15\)/);
    });

    it('requires an age of at least 16 at the reference date', () => {
      assert.equal(valid({ date_naissance: '15/06/2009' }).birthDate, '2009-06-15');
      rejects({ date_naissance: '16/06/2009' }, 'date_naissance', /au moins 16 ans/);
      rejects({ date_naissance: '2025-06-15' }, 'date_naissance', /au moins 16 ans/);
      // Born on 29 February: 16 years later is a leap year too.
      assert.equal(validateFeedRow({ ...HUGUES, date_naissance: '29/02/2008' }, { today: '2024-02-29' }).ok, true);
      assert.equal(validateFeedRow({ ...HUGUES, date_naissance: '29/02/2008' }, { today: '2024-02-28' }).ok, false);
    });
  });

  describe('lieu_naissance', () => {
    it('is required free text, with spaces collapsed', () => {
      assert.equal(valid({ lieu_naissance: ' Saint-Étienne   (Loire) ' }).birthPlace, 'Saint-Étienne (Loire)');
      rejects({ lieu_naissance: '' }, 'lieu_naissance', /obligatoire/);
      rejects({ lieu_naissance: 'Paris\u0007' }, 'lieu_naissance', /contrôle/);
      rejects({ lieu_naissance: 'Paris\n15e' }, 'lieu_naissance', /retours à la ligne/);
      // Issue 13 (2): no bidi override nor lone surrogate in any free text either.
      rejects({ lieu_naissance: 'Paris\u202e51' }, 'lieu_naissance', /direction du texte/);
      rejects({ lieu_naissance: 'Paris\ud800' }, 'lieu_naissance', /demi-paire/);
      rejects({ adresse_unite: 'Mairie\u2066 2 place' }, 'adresse_unite', /direction du texte/);
    });
  });

  describe('courriel', () => {
    it('is optional and lower-cased', () => {
      assert.equal(valid({ courriel: undefined }).email, null);
      assert.equal(
        valid({ courriel: ' Hugues.DILINDIEN@Mairie-Aubepierre.FR ' }).email,
        'hugues.dilindien@mairie-aubepierre.fr',
      );
      assert.equal(valid({ courriel: 'jean+carte@dgfip.finances.gouv.fr' }).email, 'jean+carte@dgfip.finances.gouv.fr');
    });

    it('rejects malformed addresses', () => {
      for (const e of [
        'hugues',
        'a@b',
        'a b@c.fr',
        'a@@c.fr',
        '.a@c.fr',
        'a..b@c.fr',
        'a.@c.fr',
        'a@-c.fr',
        'a@c.fr.',
        'a@c..fr',
        'é@c.fr',
        `${'a'.repeat(65)}@c.fr`,
      ]) {
        rejects({ courriel: e }, 'courriel', /adresse électronique invalide/);
      }
    });
  });

  describe('telephone', () => {
    it('normalises French numbers to +33 followed by 9 digits', () => {
      for (const t of [
        '01 99 00 12 34',
        '01.99.00.12.34',
        '01-99-00-12-34',
        '0199001234',
        '+33 1 99 00 12 34',
        '+33 (0)1 99 00 12 34',
        '0033 1 99 00 12 34',
      ]) {
        assert.equal(valid({ telephone: t }).phone, '+33199001234', t);
      }
      assert.equal(valid({ telephone: '06 39 98 12 34' }).phone, '+33639981234');
    });

    it('keeps other international numbers in E.164 form', () => {
      assert.equal(valid({ telephone: '+262 262 12 34 56' }).phone, '+262262123456');
    });

    it('rejects other values', () => {
      for (const t of [
        '12',
        '01 99 00 12',
        '01 99 00 12 34 5',
        '+33 1 99 00 12',
        '+33 0 99 00 12 34',
        'pas de téléphone',
        '00 00 00 00 00',
      ]) {
        rejects({ telephone: t }, 'telephone', /numéro invalide/);
      }
    });
  });

  describe('statut', () => {
    it('defaults to civil and accepts civil/civile/militaire', () => {
      assert.equal(valid({ statut: undefined }).staffStatus, 'civil');
      assert.equal(valid({ statut: 'Civile' }).staffStatus, 'civil');
      assert.equal(valid({ statut: 'MILITAIRE' }).staffStatus, 'military');
      assert.equal(valid({ statut: 'military' }).staffStatus, 'military');
    });

    it('rejects other values', () => {
      rejects({ statut: 'contractuel' }, 'statut', /« contractuel » inconnue.*civil, militaire/);
    });
  });

  describe('habilitations', () => {
    it('normalises known applications to their codes, deduplicated, in canonical order', () => {
      assert.deepEqual(valid({ habilitations: 'Source Solde|comedec, Hélios/PES V2' }).habilitations, [
        'COMEDEC',
        'HELIOS',
        'SOURCE_SOLDE',
      ]);
      assert.deepEqual(valid({ habilitations: 'PES V2' }).habilitations, ['HELIOS']);
      assert.deepEqual(valid({ habilitations: 'Hélios|HELIOS|helios' }).habilitations, ['HELIOS']);
      assert.deepEqual(valid({ habilitations: 'source_solde' }).habilitations, ['SOURCE_SOLDE']);
      assert.deepEqual(valid({ habilitations: [...HABILITATION_CODES].reverse().join('|') }).habilitations, [
        ...HABILITATION_CODES,
      ]);
    });

    it('is empty when absent, ignoring empty items', () => {
      assert.deepEqual(valid({ habilitations: undefined }).habilitations, []);
      assert.deepEqual(valid({ habilitations: ' | , ' }).habilitations, []);
      assert.deepEqual(valid({ habilitations: 'TES||SAIP,' }).habilitations, ['SAIP', 'TES']);
    });

    it('names the unknown applications', () => {
      rejects({ habilitations: 'COMEDEC|PASSEPORT' }, 'habilitations', /^application inconnue : « PASSEPORT »/);
      rejects({ habilitations: 'Foo, CHORUS, Bar' }, 'habilitations', /applications inconnues : « Foo », « Bar »/);
    });
  });

  describe('organisation', () => {
    it('is an optional code of at most 32 [A-Za-z0-9_-] characters', () => {
      assert.equal(valid({ organisation: undefined }).organizationCode, null);
      assert.equal(valid({ organisation: 'DGFIP-75_01' }).organizationCode, 'DGFIP-75_01');
      assert.equal(valid({ organisation: 'A'.repeat(32) }).organizationCode, 'A'.repeat(32));
      rejects({ organisation: 'A'.repeat(33) }, 'organisation', /32 caractères au maximum/);
      rejects({ organisation: 'PREF 69' }, 'organisation', /caractères autorisés/);
      rejects({ organisation: 'préf' }, 'organisation', /caractères autorisés/);
    });
  });

  describe('free text fields', () => {
    it('adresse_unite keeps line breaks (normalised to \\n), other fields refuse them', () => {
      assert.equal(
        valid({
          adresse_unite: 'Préfecture du Rhône;  bureau des titres\r\n\r\n 106 rue Pierre Corneille \r\n69003 Lyon',
        }).unitAddress,
        'Préfecture du Rhône; bureau des titres\n106 rue Pierre Corneille\n69003 Lyon',
      );
      rejects({ adresse_unite: 'a'.repeat(501) }, 'adresse_unite', /500 caractères/);
      rejects({ adresse_unite: 'rue\u0000' }, 'adresse_unite', /contrôle/);
      assert.equal(valid({ categorie: ' A ', profil: 'officier  d’état civil' }).category, 'A');
      assert.equal(valid({ profil: 'officier  d’état civil' }).profile, 'officier d’état civil');
      rejects({ profil: 'a\nb' }, 'profil', /retours à la ligne/);
      rejects({ categorie: 'x'.repeat(101) }, 'categorie', /100 caractères/);
    });
  });
});

describe('recordFingerprint', () => {
  it('is stable and identical for equal records', () => {
    const a = recordFingerprint(HUGUES_RECORD);
    assert.equal(a, recordFingerprint({ ...HUGUES_RECORD, habilitations: ['COMEDEC'] }));
    assert.equal(typeof a, 'string');
    assert.ok(Array.isArray(JSON.parse(a)));
  });

  it('does not depend on the order of properties or of habilitations', () => {
    const reordered = Object.fromEntries(
      Object.entries({ ...HUGUES_RECORD, habilitations: ['TES', 'COMEDEC'] }).reverse(),
    );
    assert.equal(
      recordFingerprint(reordered as AgentFeedRecord),
      recordFingerprint({ ...HUGUES_RECORD, habilitations: ['COMEDEC', 'TES'] }),
    );
  });

  it('changes when any field changes', () => {
    const base = recordFingerprint(HUGUES_RECORD);
    const variants: Partial<AgentFeedRecord>[] = [
      { identifier: 'x' },
      { identifierKind: 'nid' },
      { lastName: 'X' },
      { firstNames: 'X' },
      { sex: 'F' },
      { birthDate: '1970-01-02' },
      { birthPlace: 'X' },
      { email: null },
      { phone: '+33199001234' },
      { unitAddress: 'X' },
      { staffStatus: 'military' },
      { category: 'A' },
      { profile: 'X' },
      { habilitations: [] },
      { organizationCode: 'X' },
    ];
    const seen = new Set([base]);
    for (const v of variants) {
      const f = recordFingerprint({ ...HUGUES_RECORD, ...v });
      assert.ok(!seen.has(f), JSON.stringify(v));
      seen.add(f);
    }
    // null and the string "null" differ
    assert.notEqual(
      recordFingerprint({ ...HUGUES_RECORD, category: null }),
      recordFingerprint({ ...HUGUES_RECORD, category: 'null' }),
    );
  });
});

describe('properties', () => {
  const anyText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '',
      ' ',
      'F',
      'm',
      '01/01/1970',
      '1970-01-01',
      '29/02/2000',
      'COMEDEC|Hélios',
      'nid',
      'alliance',
      '+33 1 99 00 12 34',
      '\uFFFD',
    ),
  );
  const columnKey = fc.oneof(
    fc.constantFrom(...FEED_COLUMNS, 'last_name', 'Prénoms', '__proto__', 'constructor'),
    fc.string({ maxLength: 12 }),
  );
  const anyRow = fc.dictionary(columnKey, fc.option(anyText, { nil: undefined }), { maxKeys: 20 });
  const anyDay = fc
    .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));

  function checkShape(r: FeedRowResult): void {
    if (r.ok) {
      assert.equal(typeof r.record.identifier, 'string');
      assert.match(r.record.birthDate, /^\d{4}-\d{2}-\d{2}$/);
    } else {
      assert.ok(r.errors.length > 0);
      for (const e of r.errors) {
        assert.ok((FEED_COLUMNS as readonly string[]).includes(e.field), e.field);
        assert.equal(typeof e.reason, 'string');
        assert.ok(e.reason.length > 0);
      }
    }
  }

  it('random rows never throw and give either a record or a non-empty error list', () => {
    fc.assert(
      fc.property(anyRow, anyDay, (row, today) => {
        checkShape(validateFeedRow(row, { today }));
      }),
      { numRuns: 2000 },
    );
  });

  it('random values on a valid row never throw either', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FEED_COLUMNS), anyText, (col, value) => {
        checkShape(validateFeedRow({ ...HUGUES, [col]: value }, opts));
      }),
      { numRuns: 2000 },
    );
  });

  it('normalisation is idempotent: a record fed back as a row gives the same record', () => {
    const letters = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzéèêëàâîïôöùûüçœæÉÈÀÇ'.split(''));
    const word = fc.string({ unit: letters, minLength: 1, maxLength: 8 });
    const name = fc
      .array(word, { minLength: 1, maxLength: 3 })
      .chain((ws) => fc.constantFrom(' ', '-', "'", '’', '  ').map((sep) => ws.join(sep)));
    const row = fc.record({
      identifiant: fc.stringMatching(/^\d{10}$/),
      type_identifiant: fc.constantFrom('nid', 'alliance', 'interne', 'Interne'),
      nom: name,
      prenoms: name,
      sexe: fc.constantFrom('F', 'm', 'féminin', 'MASCULIN'),
      date_naissance: fc.constantFrom('01/01/1970', '1985-03-14', '29/02/2000', '7/7/1992'),
      lieu_naissance: name,
      courriel: fc.constantFrom('', 'A.B@Example.FR', 'x@y.gouv.fr'),
      telephone: fc.constantFrom('', '01 99 00 12 34', '+262 262 12 34 56'),
      adresse_unite: fc.constantFrom('', 'rue A\r\n  75001 Paris '),
      statut: fc.constantFrom('', 'civil', 'Militaire'),
      categorie: fc.constantFrom('', 'A', ' B '),
      profil: fc.constantFrom('', 'instructeur'),
      habilitations: fc.subarray(['COMEDEC', 'Hélios/PES V2', 'Source Solde', 'tes', 'CIMS']).map((a) => a.join(', ')),
      organisation: fc.constantFrom('', 'PREF-69', 'dgfip_75'),
    });
    fc.assert(
      fc.property(row, (raw) => {
        const first = validateFeedRow(raw, opts);
        if (!first.ok) return; // e.g. an identifier that does not fit its kind
        const r = first.record;
        const again = validateFeedRow(
          {
            identifiant: r.identifier,
            type_identifiant: r.identifierKind,
            nom: r.lastName,
            prenoms: r.firstNames,
            sexe: r.sex,
            date_naissance: r.birthDate,
            lieu_naissance: r.birthPlace,
            courriel: r.email ?? '',
            telephone: r.phone ?? '',
            adresse_unite: r.unitAddress ?? '',
            statut: r.staffStatus === 'military' ? 'militaire' : 'civil',
            categorie: r.category ?? '',
            profil: r.profile ?? '',
            habilitations: r.habilitations.join('|'),
            organisation: r.organizationCode ?? '',
          },
          opts,
        );
        assert.ok(again.ok, JSON.stringify(again));
        assert.deepEqual(again.record, r);
        assert.equal(recordFingerprint(again.record), recordFingerprint(r));
      }),
      { numRuns: 500 },
    );
  });
});
