// The fast card certificate builder (card-cert-fast.ts) against the reference one (profiles.ts,
// cardCertificate): same inputs (serial, dates, subject, key, CA, settings) → the same bytes, for
// AUTH, SIGN and ENC with EC and RSA subject keys, under an EC and an RSA issuing CA. ECDSA
// signatures are randomised, so the CA signer used here returns the same signature for the same
// bytes (the equality of the certificates is then that of the TBS, plus the assembly).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { fastCardCertificate, nameDer, readSpki, signatureVerifies } from './card-cert-fast.ts';
import { checkCardCertificate } from './checker.ts';
import { keyObjectSigner } from './keystore-file.ts';
import type { KeyAlgorithm, Signer } from './keystore.ts';
import {
  buildName,
  caCertificate,
  cardCertificate,
  CARD_PROFILES,
  publicKeyKind,
  randomSerial,
  type DnPart,
  type IssuerRef,
  type PkiSettings,
} from './profiles.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as x509 from './x509.ts';

/** Same signature for the same bytes (ECDSA is randomised): makes the two builders comparable. */
function memoSigner(inner: Signer): Signer {
  const seen = new Map<string, Uint8Array>();
  return {
    algorithm: inner.algorithm,
    publicKeySpki: inner.publicKeySpki,
    async sign(data) {
      const k = Buffer.from(data).toString('hex');
      let s = seen.get(k);
      if (!s) {
        s = await inner.sign(data);
        seen.set(k, s);
      }
      return s;
    },
  };
}

function newSigner(algorithm: KeyAlgorithm): Signer {
  const { privateKey } =
    algorithm === 'ecdsa-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return memoSigner(keyObjectSigner(privateKey, algorithm));
}

const settings: PkiSettings = { publicUrl: 'https://cartes.example.gouv.fr/' };

async function issuingCa(algorithm: KeyAlgorithm): Promise<IssuerRef> {
  const rootSigner = newSigner(algorithm);
  const rootSubject: DnPart[] = [
    { type: 'C', value: 'FR' },
    { type: 'O', value: 'Ministère de test' },
    { type: 'CN', value: 'AC racine de test' },
  ];
  const rootDer = await caCertificate(
    {
      serial: randomSerial(),
      subject: rootSubject,
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2070-01-01T00:00:00Z'),
      pathLength: 1,
      spki: rootSigner.publicKeySpki,
      issuer: null,
      settings,
    },
    rootSigner,
  );
  const root: IssuerRef = { name: 'root', certificate: new x509.X509Certificate(rootDer), signer: rootSigner };
  const signer = newSigner(algorithm);
  const der = await caCertificate({
    serial: randomSerial(),
    subject: [
      { type: 'C', value: 'FR' },
      { type: 'O', value: 'Ministère de test' },
      { type: 'CN', value: `AC émettrice ${algorithm}` },
    ],
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2060-01-01T00:00:00Z'),
    pathLength: 0,
    spki: signer.publicKeySpki,
    issuer: root,
    settings,
  });
  return { name: `ac-${algorithm}`, certificate: new x509.X509Certificate(der), signer };
}

function subjectKey(kind: 'ec' | 'rsa'): Uint8Array {
  const { publicKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
}

const SUBJECTS: DnPart[][] = [
  [
    { type: 'C', value: 'FR' },
    { type: 'O', value: 'Commune de Melun' },
    { type: 'OU', value: '0002 217702885' },
    { type: 'CN', value: 'Camille DUPONT banc000001' },
  ],
  [
    { type: 'C', value: 'FR' },
    { type: 'O', value: 'Préfecture de Seine-et-Marne — « services »' },
    { type: 'CN', value: "Élodie LE GOFF-D'ARC 1234567890123" },
  ],
];

// Exactly 3 years, both dates included (RFC 5280): one second before the third anniversary.
const VALIDITIES: { notBefore: Date; notAfter: Date }[] = [
  { notBefore: new Date('2026-03-04T05:06:07Z'), notAfter: new Date('2029-03-04T05:06:06Z') },
  // Beyond 2049: GeneralizedTime.
  { notBefore: new Date('2049-06-01T00:00:00Z'), notAfter: new Date('2052-05-31T23:59:59Z') },
];

describe('fast card certificate builder', () => {
  test('names and SPKIs are read and written as the ASN.1 library does', () => {
    for (const s of SUBJECTS) assert.deepEqual(nameDer(s), new Uint8Array(AsnConvert.serialize(buildName(s))));
    for (const kind of ['ec', 'rsa'] as const) {
      const spki = subjectKey(kind);
      assert.equal(readSpki(spki).kind, publicKeyKind(spki));
    }
    assert.throws(() => readSpki(Uint8Array.of(0x30, 0x00)), RangeError);
    const ec = subjectKey('ec');
    assert.throws(() => readSpki(Uint8Array.from([...ec, 0])), RangeError);
  });

  for (const caAlgorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
    test(`same bytes as cardCertificate: AUTH, SIGN, ENC × EC, RSA keys, CA ${caAlgorithm}`, async () => {
      const issuer = await issuingCa(caAlgorithm);
      let n = 0;
      for (const profile of CARD_PROFILES) {
        for (const kind of ['ec', 'rsa'] as const) {
          for (const [k, subject] of SUBJECTS.entries()) {
            const validity = VALIDITIES[n++ % VALIDITIES.length]!;
            const input = {
              serial: randomSerial(),
              profile,
              subject,
              ...validity,
              spki: subjectKey(kind),
              issuer,
              settings,
            };
            const reference = await cardCertificate(input);
            const fast = await fastCardCertificate(input);
            assert.equal(
              Buffer.from(fast.der).toString('hex'),
              Buffer.from(reference).toString('hex'),
              `${profile} ${kind} subject ${k}`,
            );
            assert.ok(signatureVerifies(fast.tbs, fast.signature, issuer.certificate));
            assert.deepEqual(
              await checkCardCertificate(fast.der, profile, issuer.certificate, { now: validity.notBefore }),
              [],
            );
          }
        }
      }
    });
  }

  test('a signature by another key does not verify', async () => {
    const issuer = await issuingCa('ecdsa-p256');
    const other = await issuingCa('ecdsa-p256');
    const input = {
      serial: randomSerial(),
      profile: 'auth' as const,
      subject: SUBJECTS[0]!,
      ...VALIDITIES[0]!,
      spki: subjectKey('ec'),
      issuer: { ...issuer, signer: other.signer },
      settings,
    };
    const fast = await fastCardCertificate(input);
    assert.equal(signatureVerifies(fast.tbs, fast.signature, issuer.certificate), false);
  });
});
