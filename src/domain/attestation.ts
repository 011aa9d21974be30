// The attestation of receipt the holder accepts at activation (seed 001, step "Acceptation"),
// word for word except for the guide's typing slips. Pure: every fact is passed in.

export interface AttestationFacts {
  holderName: string; // "Hugues DILINDIEN"
  birthDate: string; // YYYY-MM-DD
  operatorName: string; // the registration authority / card officer who signs it
  cardSerial: string;
  hasSignatureCertificate: boolean;
  hasEncryptionCertificate: boolean;
  /** Where loss or theft is declared. */
  declarationUrl: string;
  /** What the holder types to identify in the holder space when the card is blocked. */
  organizationLogin: string;
  identifierLogin: string;
}

export function frenchDate(isoDate: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : isoDate;
}

/** Paragraphs of the attestation, in order. */
export function attestationParagraphs(f: AttestationFacts): string[] {
  const certs = ["d'un certificat d'authentification"];
  if (f.hasSignatureCertificate) certs.push("d'un certificat de signature");
  if (f.hasEncryptionCertificate) certs.push("d'un certificat de chiffrement");
  const list = certs.length === 1 ? certs[0] : `${certs.slice(0, -1).join(', ')} et ${certs[certs.length - 1]}`;
  return [
    `Je soussigné(e) ${f.holderName} né(e) le ${frenchDate(f.birthDate)} atteste avoir reçu de ${f.operatorName}, autorité d'enregistrement qui signe cette attestation, la carte numéro ${f.cardSerial} dotée ${list}.`,
    "Je reconnais être informé que cette carte est personnelle et que mes codes d'authentification et de signature sont confidentiels. En conséquence, je m'engage à ne pas les divulguer.",
    "Je m'engage également à ne pas prêter ma carte et à ne pas la laisser sans surveillance.",
    "Je m'engage à respecter l'usage (authentification ou signature électronique) pour lequel cette carte peut être utilisée.",
    "Je m'engage à n'utiliser cette carte qu'avec les matériels et les logiciels conformes aux exigences définies par l'ANTS.",
    `En cas de perte ou vol de ma carte je m'engage à en faire la déclaration sur le site prévu à cet effet ${f.declarationUrl} dès la découverte du vol ou de la perte.`,
    "Afin de profiter pleinement des fonctionnalités du portail et afin de finaliser l'initialisation de vos données, veuillez penser à vous connecter au portail. En cas de blocage de votre code PIN ou afin de déclarer la perte ou le vol de votre carte, vous aurez besoin de deux informations pour vous authentifier : organisation et identifiant.",
    `- Organisation : ${f.organizationLogin}`,
    `- Identifiant : ${f.identifierLogin}.`,
  ];
}
