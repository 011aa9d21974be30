import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attestationParagraphs } from './attestation.ts';

test('the attestation reads as the guide, with the holder, the operator and the card number', () => {
  const p = attestationParagraphs({
    holderName: 'Hugues DILINDIEN',
    birthDate: '1970-01-01',
    operatorName: 'Camille MARTIN',
    cardSerial: '1240001062',
    hasSignatureCertificate: true,
    hasEncryptionCertificate: false,
    declarationUrl: 'https://cartes.example/porteur',
    organizationLogin: '77011',
    identifierLogin: 'Hugues DILINDIEN 2010002684dh',
  });
  assert.equal(
    p[0],
    "Je soussigné(e) Hugues DILINDIEN né(e) le 01/01/1970 atteste avoir reçu de Camille MARTIN, autorité d'enregistrement qui signe cette attestation, la carte numéro 1240001062 dotée d'un certificat d'authentification et d'un certificat de signature.",
  );
  assert.match(p.join('\n'), /ne pas prêter ma carte/);
  assert.equal(p.at(-1), '- Identifiant : Hugues DILINDIEN 2010002684dh.');
});
