import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import iconv from 'iconv-lite';
import {
  ENCODING_PROBE_BYTES,
  FeedFormatError,
  MAX_RECORD_CHARS,
  readFeed,
  type FeedFormat,
  type FeedItem,
  type ReadFeedOptions,
} from './feed-reader.ts';
import { validateFeedRow } from '../../../domain/hr-feed.ts';

const FIXTURE = new URL('../../../../test/fixtures/hr-feed-sample.csv', import.meta.url);
const HEADER = 'identifiant;nom;prenoms;sexe;date_naissance;lieu_naissance';
const BOM = '\uFEFF';

/** Yields `data` in chunks of `size` bytes. */
async function* chunked(data: Uint8Array | string, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(
  data: Uint8Array | string,
  format: FeedFormat = 'csv',
  size?: number,
  opts?: ReadFeedOptions,
): Promise<FeedItem[]> {
  const out: FeedItem[] = [];
  for await (const item of readFeed(chunked(data, size), format, opts)) out.push(item);
  return out;
}

/** Reads with several chunk sizes (1 byte, odd sizes, whole) and checks they all agree. */
async function readAll(data: Uint8Array | string, format: FeedFormat = 'csv'): Promise<FeedItem[]> {
  const reference = await read(data, format);
  for (const size of [1, 2, 3, 5, 7, 64])
    assert.deepEqual(await read(data, format, size), reference, `chunk size ${size}`);
  return reference;
}

const row = (line: number, raw: Record<string, string>): FeedItem => ({ line, kind: 'row', raw });
const bad = (line: number, ...errors: string[]): FeedItem => ({ line, kind: 'bad', errors });
const lines = (items: FeedItem[]): string[] => items.map((i) => `${i.line}:${i.kind}`);

function person(id: string, nom = 'Dupont', prenoms = 'Jean'): Record<string, string> {
  return { identifiant: id, nom, prenoms, sexe: 'M', date_naissance: '01/01/1970', lieu_naissance: 'Paris' };
}
const personLine = (id: string, nom = 'Dupont', prenoms = 'Jean'): string =>
  `${id};${nom};${prenoms};M;01/01/1970;Paris`;

async function rejectsFormat(
  data: Uint8Array | string,
  format: FeedFormat,
  code: string,
  message: RegExp,
): Promise<void> {
  for (const size of [undefined, 1]) {
    await assert.rejects(read(data, format, size), (err: unknown) => {
      assert.ok(err instanceof FeedFormatError, String(err));
      assert.equal(err.name, 'FeedFormatError');
      assert.equal(err.code, code);
      assert.match(err.message, message);
      return true;
    });
  }
}

describe('readFeed — CSV', () => {
  it('reads the sample file (UTF-8 with BOM) from a file stream, bad lines included', async () => {
    const items: FeedItem[] = [];
    for await (const item of readFeed(createReadStream(FIXTURE, { highWaterMark: 256 }), 'csv')) items.push(item);
    // 12 data rows on 13 physical lines (the address of line 3 spans two lines).
    assert.deepEqual(lines(items), [
      '2:row',
      '3:row',
      '5:row',
      '6:row',
      '7:row',
      '8:row',
      '9:row',
      '10:bad',
      '11:row',
      '12:row',
      '13:row',
      '14:row',
    ]);
    assert.deepEqual(items[7], bad(10, 'nombre de colonnes incorrect : 15 attendues, 7 trouvées'));

    const results = items.flatMap((i) =>
      i.kind === 'row' ? [{ line: i.line, result: validateFeedRow(i.raw, { today: '2025-06-15' }) }] : [],
    );
    assert.deepEqual(
      results.filter((r) => !r.result.ok).map((r) => r.line),
      [8, 12],
    );
    const hugues = results[0]?.result;
    assert.ok(hugues?.ok);
    assert.deepEqual(
      { ...hugues.record },
      {
        identifier: '2010002684dh',
        identifierKind: 'internal',
        lastName: 'DILINDIEN',
        firstNames: 'Hugues',
        sex: 'M',
        birthDate: '1970-01-01',
        birthPlace: 'Melun',
        email: 'hugues.dilindien@mairie-aubepierre.fr',
        phone: '+33199002684',
        unitAddress: "Mairie, 2 place de l'Église, 77720 Aubepierre-Ozouer-le-Repos",
        staffStatus: 'civil',
        category: 'B',
        profile: "officier d'état civil",
        habilitations: ['COMEDEC'],
        organizationCode: null,
      },
    );
    const martin = items[1];
    assert.equal(
      martin?.kind === 'row' && martin.raw.adresse_unite,
      'Préfecture du Rhône; bureau des titres\n106 rue Pierre Corneille, 69003 Lyon',
    );
  });

  it('gives the same result whatever the chunking, including 1 byte at a time', async () => {
    const data = readFileSync(FIXTURE);
    const items = await readAll(data);
    assert.equal(items.length, 12);
  });

  it('keys rows by canonical column names, with accented, upper-case or English headers', async () => {
    const data = `Identifiant;NOM;Prénoms;Sexe;Date_Naissance;Lieu_Naissance;Téléphone;Adresse_Unité;Catégorie;email\n${personLine('a1')};01 99 00 12 34;Mairie;A;a@b.fr\n`;
    assert.deepEqual(await readAll(data), [
      row(2, {
        ...person('a1'),
        telephone: '01 99 00 12 34',
        adresse_unite: 'Mairie',
        categorie: 'A',
        courriel: 'a@b.fr',
      }),
    ]);
  });

  it('strips the UTF-8 BOM (otherwise the first column would be unknown)', async () => {
    assert.deepEqual(await readAll(`${BOM}${HEADER}\n${personLine('a1', 'Dupré', 'Hélène')}\n`), [
      row(2, person('a1', 'Dupré', 'Hélène')),
    ]);
  });

  it('decodes a Windows-1252 file', async () => {
    const text = `${HEADER};profil\n${personLine('a1', 'Dupré', 'Hélène')};chef d’équipe – Œuvres\n${personLine('a2', 'Lefèvre', 'Zoé')};\n`;
    const bytes = iconv.encode(text, 'windows-1252');
    assert.ok(bytes.includes(0xe9) && bytes.includes(0x92) && bytes.includes(0x8c)); // é, ’, Œ in cp1252
    assert.deepEqual(await readAll(bytes), [
      row(2, { ...person('a1', 'Dupré', 'Hélène'), profil: 'chef d’équipe – Œuvres' }),
      row(3, { ...person('a2', 'Lefèvre', 'Zoé'), profil: '' }),
    ]);
  });

  it('decides the encoding on the first 64 KB: UTF-8 characters cut by the probe or by chunks stay intact', async () => {
    const head = `${HEADER}\n`;
    const filler = personLine('x', 'Dupont', 'Éric') + '\n';
    let text = head;
    let n = 0;
    while (Buffer.byteLength(text) < ENCODING_PROBE_BYTES - 1) {
      text += filler;
      n++;
    }
    text = text.slice(0, -1); // drop the last "\n": "Éric" has just been written
    // Re-align so that the 2-byte "é" of the next line straddles the 64 KB boundary.
    const pad = ENCODING_PROBE_BYTES - 1 - Buffer.byteLength(`${text}\nx;`);
    const next = `\n${'x'.repeat(Math.max(0, pad))};Hélène;Zoé;F;01/01/1970;Paris\n`;
    const bytes = Buffer.from(text + next, 'utf8');
    for (const size of [1000, 4096, 65536, 100000]) {
      const items = await read(bytes, 'csv', size);
      assert.equal(items.length, n + 1);
      const last = items.at(-1);
      assert.ok(last?.kind === 'row');
      assert.equal(last.raw.nom, 'Hélène');
      assert.equal(last.raw.prenoms, 'Zoé');
    }
  });

  it('reports Windows-1252 bytes found after the first 64 KB of UTF-8 as unreadable values', async () => {
    let text = `${HEADER}\n`;
    while (text.length < ENCODING_PROBE_BYTES + 10) text += `${personLine('x')}\n`;
    const bytes = Buffer.concat([
      Buffer.from(text),
      iconv.encode(`${personLine('late', 'Dupré', 'Hélène')}\n`, 'windows-1252'),
    ]);
    const items = await read(bytes);
    const last = items.at(-1);
    assert.ok(last?.kind === 'row');
    const result = validateFeedRow(last.raw, { today: '2025-06-15' });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['nom', 'prenoms'],
    );
    assert.match(result.errors[0]?.reason ?? '', /UTF-8/);
  });

  it('accepts CRLF, LF, mixed and lone CR line endings, and skips blank lines keeping physical line numbers', async () => {
    const data = `${HEADER}\r\n${personLine('a1')}\r\n\r\n   \r\n${personLine('a2')}\n\n${personLine('a3')}\r${personLine('a4')};;\r\n;;;;;\r\n${personLine('a5')}`;
    assert.deepEqual(await readAll(data), [
      row(2, person('a1')),
      row(5, person('a2')),
      row(7, person('a3')),
      row(8, person('a4')),
      row(10, person('a5')),
    ]);
  });

  it('handles quoted fields containing ";", doubled quotes and line breaks', async () => {
    const data =
      `${HEADER};adresse_unite;profil\r\n` +
      `a1;"Dupont";"Jean";M;01/01/1970;Paris;"1 rue A; bât. B\r\n2e étage\r\n75001 Paris";"dit ""Jo"""\r\n` +
      `a2;Martin;Léa;F;01/01/1980;Lyon; "entre guillemets" ;""\r\n` +
      `${personLine('a3')};;\r\n`;
    assert.deepEqual(await readAll(data), [
      row(2, { ...person('a1'), adresse_unite: '1 rue A; bât. B\r\n2e étage\r\n75001 Paris', profil: 'dit "Jo"' }),
      row(5, {
        ...person('a2', 'Martin', 'Léa'),
        sexe: 'F',
        date_naissance: '01/01/1980',
        lieu_naissance: 'Lyon',
        adresse_unite: 'entre guillemets',
        profil: '',
      }),
      row(6, { ...person('a3'), adresse_unite: '', profil: '' }),
    ]);
  });

  it('reports bad lines and keeps going with the right line numbers', async () => {
    const data = [
      HEADER,
      personLine('a1'), // 2
      'a2;Dupont;Jean', // 3: too few columns
      `${personLine('a3')};surplus`, // 4: too many columns
      'a4;Du"pont;Jean;M;01/01/1970;Paris', // 5: quote inside an unquoted value
      'a5;"Dupont"x;Jean;M;01/01/1970;Paris', // 6: text after a closing quote
      personLine('a6'), // 7
      `${personLine('a7')};;;`, // 8: trailing empty cells are tolerated
      '', // 9
      personLine('a8'), // 10
    ].join('\n');
    const items = await readAll(data);
    assert.deepEqual(lines(items), ['2:row', '3:bad', '4:bad', '5:bad', '6:bad', '7:row', '8:row', '10:row']);
    assert.deepEqual(items[1], bad(3, 'nombre de colonnes incorrect : 6 attendues, 3 trouvées'));
    assert.deepEqual(items[2], bad(4, 'nombre de colonnes incorrect : 6 attendues, 7 trouvées'));
    assert.match((items[3] as { errors: string[] }).errors[0] ?? '', /guillemet dans une valeur non entourée/);
    assert.match((items[4] as { errors: string[] }).errors[0] ?? '', /après un guillemet fermant/);
    assert.deepEqual(items[5], row(7, person('a6')));
  });

  it('recovers from a stray opening quote: its line is bad, the following lines are read again', async () => {
    const data = [
      HEADER,
      personLine('a1'),
      'a2;"Dupont;Jean;M;01/01/1970;Paris',
      personLine('a3'),
      personLine('a4'),
    ].join('\r\n');
    const items = await readAll(data);
    assert.deepEqual(items, [
      row(2, person('a1')),
      bad(3, 'guillemet ouvrant jamais refermé'),
      row(4, person('a3')),
      row(5, person('a4')),
    ]);

    // ...also when a quote on a later line seems to close it but is followed by text
    const data2 = [
      HEADER,
      'a2;"Dupont;Jean;M;01/01/1970;Paris',
      personLine('a3'),
      'a4;Du"pont;Jean;M;01/01/1970;Paris',
      personLine('a5'),
    ].join('\n');
    assert.deepEqual(lines(await readAll(data2)), ['2:bad', '3:row', '4:bad', '5:row']);
  });

  it('bounds a quoted value: more than MAX_RECORD_CHARS or many lines is an unclosed quote', async () => {
    const manyLines = Array.from({ length: 80 }, (_, i) => personLine(`b${i}`));
    const data = [HEADER, 'a1;"Dupont;Jean;M;01/01/1970;Paris', ...manyLines].join('\n') + '\n';
    const items = await read(data, 'csv', 1000);
    assert.deepEqual(items[0], bad(2, 'guillemet ouvrant jamais refermé'));
    assert.equal(items.length, 81);
    assert.deepEqual(items[80], row(82, person('b79')));
  });

  it('reports an over-long line without buffering it, then goes on', async () => {
    const huge = `a1;${'D'.repeat(MAX_RECORD_CHARS * 3)};Jean;M;01/01/1970;Paris`;
    const hugeQuoted = `a2;"${'D'.repeat(MAX_RECORD_CHARS * 3)}";Jean;M;01/01/1970;Paris`;
    const data = [HEADER, huge, personLine('a3'), hugeQuoted, personLine('a4')].join('\r\n');
    for (const size of [4096, 65536, 1 << 20]) {
      const items = await read(data, 'csv', size);
      assert.deepEqual(lines(items), ['2:bad', '3:row', '4:bad', '5:row'], `chunk size ${size}`);
      assert.match((items[0] as { errors: string[] }).errors[0] ?? '', /ligne trop longue/);
    }
  });

  it('reports an over-long last line without a final line break (issue 13: 10)', async () => {
    for (const last of [`a9;${'D'.repeat(MAX_RECORD_CHARS * 3)}`, `a9;"${'D'.repeat(MAX_RECORD_CHARS * 3)}"`]) {
      const data = [HEADER, personLine('a1'), last].join('\n');
      for (const size of [4096, 65536, 1 << 20]) {
        const items = await read(data, 'csv', size);
        assert.deepEqual(lines(items), ['2:row', '3:bad'], `chunk size ${size}`);
        assert.match((items[1] as { errors: string[] }).errors[0] ?? '', /trop longue|jamais refermé/);
      }
    }
  });

  it('tolerates a header ending with ";" but not values under unnamed columns', async () => {
    const data = `${HEADER};;\n${personLine('a1')};;\n${personLine('a2')}\n${personLine('a3')};;x\n`;
    assert.deepEqual(await readAll(data), [
      row(2, person('a1')),
      row(3, person('a2')),
      bad(4, 'valeur dans une colonne sans en-tête (colonne 8)'),
    ]);
  });

  it('reads a header-only file as no rows', async () => {
    assert.deepEqual(await readAll(`${BOM}${HEADER}\r\n`), []);
  });

  it('reads a stream that yields strings (setEncoding) and a Readable stream', async () => {
    const text = `${HEADER}\n${personLine('a1', 'Dupré', 'Hélène')}\n`;
    const stream = Readable.from([Buffer.from(text)]).setEncoding('utf8');
    const items: FeedItem[] = [];
    for await (const item of readFeed(stream, 'csv')) items.push(item);
    assert.deepEqual(items, [row(2, person('a1', 'Dupré', 'Hélène'))]);
  });

  it('reports progress in bytes, up to the file size', async () => {
    let text = `${HEADER}\n`;
    while (text.length < 3 * ENCODING_PROBE_BYTES) text += `${personLine('a1')}\n`;
    const data = Buffer.from(text);
    const progress: number[] = [];
    await read(data, 'csv', 1000, { onProgress: (n) => progress.push(n) });
    assert.ok(progress.length > 100);
    assert.ok((progress[0] ?? 0) >= ENCODING_PROBE_BYTES); // the encoding probe is read first
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
    );
    assert.equal(progress.at(-1), data.length);
  });

  it('reads lazily and releases the source when the consumer stops', async () => {
    let pulled = 0;
    let finalised = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield Buffer.from(`${HEADER}\n`);
        for (let i = 0; ; i++) {
          pulled++;
          yield Buffer.from(`${personLine(`a${i}`)}\n`);
        }
      } finally {
        finalised = true;
      }
    }
    let n = 0;
    for await (const item of readFeed(source(), 'csv')) {
      assert.equal(item.kind, 'row');
      if (++n === 3000) break;
    }
    assert.ok(finalised);
    assert.ok(pulled < 3000 + 2000, `pulled ${pulled} chunks for 3000 rows`);
  });

  describe('not a feed', () => {
    it('empty file, BOM only, blank lines only', async () => {
      await rejectsFormat('', 'csv', 'empty', /vide/);
      await rejectsFormat(BOM, 'csv', 'empty', /vide/);
      await rejectsFormat('\r\n\n  \n', 'csv', 'empty', /aucune ligne/);
    });

    it('binary data (NUL bytes), e.g. an Excel workbook', async () => {
      await rejectsFormat(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), 'csv', 'binary', /binaires/);
      await rejectsFormat(`${HEADER}\n${personLine('a\u0000')}\n`, 'csv', 'binary', /binaires/);
    });

    it('UTF-16 files', async () => {
      await rejectsFormat(
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}\n`, 'utf16le')]),
        'csv',
        'encoding',
        /UTF-16/,
      );
    });

    it('a first line not separated by ";"', async () => {
      await rejectsFormat(
        `${HEADER.replaceAll(';', ',')}\n${personLine('a1').replaceAll(';', ',')}\n`,
        'csv',
        'separator',
        /points-virgules \(séparateur détecté : virgule\)/,
      );
      await rejectsFormat(`${HEADER.replaceAll(';', '\t')}\n`, 'csv', 'separator', /tabulation/);
      await rejectsFormat('bonjour\n', 'csv', 'separator', /points-virgules/);
    });

    it('a header failing checkHeader', async () => {
      await rejectsFormat(
        'identifiant;nom;sexe\n1;2;3\n',
        'csv',
        'header',
        /obligatoires absentes : prenoms, date_naissance, lieu_naissance/,
      );
      await rejectsFormat(`${HEADER};matricule\n`, 'csv', 'header', /colonnes inconnues : « matricule »/);
      await rejectsFormat(`${HEADER};last_name\n`, 'csv', 'header', /en double/);
      await rejectsFormat(`"${HEADER}\n`, 'csv', 'header', /en-tête illisible/);
    });

    it('destroys the input stream', async () => {
      const stream = Readable.from([Buffer.from('pas;un;flux\n'), Buffer.from('x;y;z\n')]);
      await assert.rejects(async () => {
        for await (const _ of readFeed(stream, 'csv')) assert.fail('no item expected');
      }, FeedFormatError);
      assert.equal(stream.destroyed, true);
    });

    it('rejects an unknown format', async () => {
      await assert.rejects(read('x', 'xml' as FeedFormat), TypeError);
    });
  });

  it('streams 200,000 generated rows with flat memory', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ROWS = 200_000;
    let produced = 0;
    async function* generate(): AsyncGenerator<Uint8Array> {
      const encoder = new TextEncoder();
      yield encoder.encode(`${BOM}${HEADER};adresse_unite;habilitations\r\n`);
      let batch = '';
      for (let i = 0; i < ROWS; i++) {
        batch += `ag-${i};Dupré;Hélène Marie;F;01/01/1970;Besançon;"Préfecture; bureau ${i}\r\n25000 Besançon";COMEDEC|Hélios\r\n`;
        produced++;
        if (batch.length >= 16 * 1024) {
          yield encoder.encode(batch);
          batch = '';
        }
      }
      if (batch !== '') yield encoder.encode(batch);
    }

    gc();
    const baseline = process.memoryUsage().heapUsed;
    let maxGrowth = 0;
    let maxAhead = 0;
    let count = 0;
    let expectedLine = 2;
    for await (const item of readFeed(generate(), 'csv')) {
      assert.equal(item.kind, 'row');
      assert.equal(item.line, expectedLine);
      expectedLine += 2;
      count++;
      maxAhead = Math.max(maxAhead, produced - count);
      if (count % 20_000 === 0) {
        gc();
        maxGrowth = Math.max(maxGrowth, process.memoryUsage().heapUsed - baseline);
      }
    }
    assert.equal(count, ROWS);
    assert.ok(maxGrowth < 50 * 1024 * 1024, `heap grew by ${(maxGrowth / 1024 / 1024).toFixed(1)} MB`);
    // The source is pulled on demand: never more than about one 64 KB probe of rows ahead.
    assert.ok(maxAhead < 2_000, `${maxAhead} rows generated ahead of the consumer`);
  });

  it('values kept by the caller do not keep the file text alive', async () => {
    // An importer keeps every identifier (duplicates, full-feed deactivation). Slices of the decoded
    // text would pin whole chunks: ~45 MB of text here, versus ~15 MB for the identifiers alone.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ROWS = 200_000;
    async function* generate(): AsyncGenerator<Uint8Array> {
      const encoder = new TextEncoder();
      yield encoder.encode(`${HEADER};adresse_unite\n`);
      let batch = '';
      for (let i = 0; i < ROWS; i++) {
        batch += `agent-${String(i).padStart(9, '0')};Dupré;Hélène;F;01/01/1970;Besançon;"Préfecture, bureau des titres, ${'bâtiment B, '.repeat(8)}${i}"\n`;
        if (batch.length >= 16 * 1024) {
          yield encoder.encode(batch);
          batch = '';
        }
      }
      if (batch !== '') yield encoder.encode(batch);
    }
    gc();
    const baseline = process.memoryUsage().heapUsed;
    const kept: string[] = [];
    for await (const item of readFeed(generate(), 'csv')) {
      if (item.kind === 'row' && item.raw.identifiant !== undefined) kept.push(item.raw.identifiant);
    }
    gc();
    const growth = process.memoryUsage().heapUsed - baseline;
    assert.equal(kept.length, ROWS);
    assert.ok(growth < 30 * 1024 * 1024, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MB`);
  });
});

describe('readFeed — JSONL', () => {
  it('reads one object per line, with aliases, numbers and an array of habilitations', async () => {
    const data = [
      JSON.stringify({ ...person('a1', 'Dupré', 'Hélène'), habilitations: ['COMEDEC', 'Hélios'] }),
      '',
      JSON.stringify({
        identifier: 2010002684,
        last_name: 'Dilindien',
        first_names: 'Hugues',
        sex: 'M',
        birth_date: '1970-01-01',
        birth_place: 'Melun',
        email: null,
      }),
      `  ${JSON.stringify(person('a3'))}  `,
    ].join('\r\n');
    assert.deepEqual(await readAll(`${BOM}${data}`, 'jsonl'), [
      row(1, { ...person('a1', 'Dupré', 'Hélène'), habilitations: 'COMEDEC|Hélios' }),
      row(3, {
        identifiant: '2010002684',
        nom: 'Dilindien',
        prenoms: 'Hugues',
        sexe: 'M',
        date_naissance: '1970-01-01',
        lieu_naissance: 'Melun',
      }),
      row(4, person('a3')),
    ]);
  });

  it('gives rows that validateFeedRow accepts', async () => {
    const [item] = await read(
      JSON.stringify({
        ...person('2010002684dh', 'Dilindien', 'Hugues'),
        type_identifiant: 'interne',
        courriel: 'hugues.dilindien@mairie-aubepierre.fr',
        habilitations: ['COMEDEC'],
      }),
      'jsonl',
    );
    assert.ok(item?.kind === 'row');
    const r = validateFeedRow(item.raw, { today: '2025-06-15' });
    assert.ok(r.ok);
    assert.deepEqual(r.record.habilitations, ['COMEDEC']);
  });

  it('reports bad lines and keeps going', async () => {
    const ok = JSON.stringify(person('a1'));
    const data = [
      ok, // 1
      '{"identifiant": "a2", ', // 2: invalid JSON
      '[1, 2]', // 3: not an object
      'null', // 4
      JSON.stringify({ ...person('a5'), matricule: 'x' }), // 5: unknown key
      JSON.stringify({ ...person('a6'), nom: { x: 1 } }), // 6: object value
      JSON.stringify({ ...person('a7'), sexe: true }), // 7: boolean value
      JSON.stringify({ ...person('a8'), prenoms: ['Jean', 'Paul'] }), // 8: array outside habilitations
      JSON.stringify({ ...person('a9'), last_name: 'Autre' }), // 9: same column twice
      ok, // 10
    ].join('\n');
    const items = await readAll(data, 'jsonl');
    assert.deepEqual(lines(items), [
      '1:row',
      '2:bad',
      '3:bad',
      '4:bad',
      '5:bad',
      '6:bad',
      '7:bad',
      '8:bad',
      '9:bad',
      '10:row',
    ]);
    assert.deepEqual(items[1], bad(2, 'JSON invalide'));
    assert.deepEqual(items[2], bad(3, 'la ligne n’est pas un objet JSON'));
    assert.deepEqual(items[4], bad(5, 'clé inconnue « matricule »'));
    assert.match((items[5] as { errors: string[] }).errors[0] ?? '', /« nom ».*un objet/);
    assert.match((items[6] as { errors: string[] }).errors[0] ?? '', /« sexe ».*un booléen/);
    assert.match((items[7] as { errors: string[] }).errors[0] ?? '', /« prenoms ».*un tableau/);
    assert.deepEqual(items[8], bad(9, 'colonne nom fournie plusieurs fois'));
  });

  it('reports an over-long line and goes on', async () => {
    const data = `${JSON.stringify(person('a1'))}\n{"nom":"${'x'.repeat(MAX_RECORD_CHARS * 2)}"}\n${JSON.stringify(person('a3'))}`;
    const items = await read(data, 'jsonl', 4096);
    assert.deepEqual(lines(items), ['1:row', '2:bad', '3:row']);
  });

  it('reports an over-long last line without a final line break (issue 13: 10)', async () => {
    const data = `${JSON.stringify(person('a1'))}\n{"nom":"${'x'.repeat(MAX_RECORD_CHARS * 2)}"}`;
    for (const size of [4096, 65536, 1 << 20])
      assert.deepEqual(lines(await read(data, 'jsonl', size)), ['1:row', '2:bad'], `chunk size ${size}`);
  });

  it('decodes Windows-1252 too', async () => {
    const bytes = iconv.encode(`${JSON.stringify(person('a1', 'Dupré', 'Hélène'))}\n`, 'windows-1252');
    assert.deepEqual(await read(bytes, 'jsonl'), [row(1, person('a1', 'Dupré', 'Hélène'))]);
  });

  it('not a feed: empty, binary, or a first line that is not a JSON object (e.g. a CSV file)', async () => {
    await rejectsFormat('', 'jsonl', 'empty', /vide/);
    await rejectsFormat('\n\n', 'jsonl', 'empty', /aucune ligne/);
    await rejectsFormat(Buffer.from([0x7b, 0x00, 0x7d]), 'jsonl', 'binary', /binaires/);
    await rejectsFormat(`${HEADER}\n${personLine('a1')}\n`, 'jsonl', 'not-jsonl', /pas au format JSONL.*ligne 1/);
    await rejectsFormat('\n[1]\n{}\n', 'jsonl', 'not-jsonl', /ligne 2, la ligne n’est pas un objet JSON/);
  });
});
