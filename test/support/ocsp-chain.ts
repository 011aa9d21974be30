// The P-256 chain of the OCSP responder's tests and of the OCSP bench: root CA → issuing CA → OCSP
// responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) and leaves, valid from an hour ago for a year.
import { webcrypto } from 'node:crypto';
import * as x509 from '../../src/pki/x509.ts';

type X509Certificate = InstanceType<typeof x509.X509Certificate>;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as never);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';

const keys = async () => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;

export interface OcspChain {
  root: X509Certificate;
  issuer: X509Certificate;
  responder: X509Certificate;
  /** The responder's key pair (extractable), to sign the answers with. */
  responderKeys: CryptoKeyPair;
  leaves: X509Certificate[];
}

/**
 * The chain: subjects `CN=<label> Root CA<rest>`, `<label> Issuing CA`, `<label> OCSP Responder`, then
 * `CN=Agent 1<rest>`… one leaf for each of `leafSerials`.
 */
export async function ocspChain(
  names: { label: string; rest: string },
  leafSerials: readonly string[] = [],
): Promise<OcspChain> {
  const dn = (cn: string) => `CN=${cn}${names.rest}`;
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(Date.now() + 365 * 86400_000);
  const caUsage = new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true);
  const rootKeys = await keys();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: dn(`${names.label} Root CA`),
    notBefore,
    notAfter,
    keys: rootKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      caUsage,
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const caKeys = await keys();
  const issued = async (serialNumber: string, cn: string, pair: CryptoKeyPair, extensions: x509.Extension[]) =>
    x509.X509CertificateGenerator.create({
      serialNumber,
      subject: dn(cn),
      issuer: issuer.subject,
      notBefore,
      notAfter,
      publicKey: pair.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey)],
    });
  const issuer = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: dn(`${names.label} Issuing CA`),
    issuer: root.subject,
    notBefore,
    notAfter,
    publicKey: caKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      caUsage,
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const endEntity = () => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  ];
  const responderKeys = await keys();
  const responder = await issued('03', `${names.label} OCSP Responder`, responderKeys, [
    ...endEntity(),
    new x509.ExtendedKeyUsageExtension([OCSP_SIGNING]),
    new x509.Extension(OCSP_NOCHECK, false, Uint8Array.of(0x05, 0x00)),
  ]);
  const leaves: X509Certificate[] = [];
  for (const [i, serial] of leafSerials.entries())
    leaves.push(await issued(serial, `Agent ${i + 1}`, await keys(), endEntity()));
  return { root, issuer, responder, responderKeys, leaves };
}
