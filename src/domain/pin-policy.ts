// Rules for the PINs a holder chooses at activation (seed 001, "ATTENTION"), and for the personal
// code and secret questions that later unblock the card. Pure: the birth date is passed in.

export interface PinFault {
  code: 'format' | 'mismatch' | 'run' | 'year' | 'birth_date';
  message: string;
}

const RUNS = new Set<string>();
for (let start = 0; start <= 6; start++) {
  const up = [0, 1, 2, 3].map((i) => String(start + i)).join('');
  RUNS.add(up);
  RUNS.add([...up].reverse().join(''));
}

/** Parts of a birth date a PIN must not be made of: 5 June 1980 → 0506, 0605, 0680, 8006, 0580, 8005, 1980. */
export function birthDateCombinations(birthDate: string): Set<string> {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  const out = new Set<string>();
  if (!m) return out;
  const [, yyyy, mm, dd] = m as unknown as [string, string, string, string];
  const yy = yyyy.slice(2);
  for (const [a, b] of [
    [dd, mm],
    [mm, dd],
    [mm, yy],
    [yy, mm],
    [dd, yy],
    [yy, dd],
  ] as const)
    out.add(a + b);
  out.add(yyyy);
  return out;
}

/** Every rule a PIN breaks, in French, in the order of the guide; empty when the PIN is acceptable. */
export function pinFaults(pin: string, confirmation: string, birthDate: string): PinFault[] {
  const faults: PinFault[] = [];
  if (!/^\d{4}$/.test(pin)) {
    faults.push({ code: 'format', message: 'Le code PIN doit comporter exactement 4 chiffres.' });
    return faults;
  }
  if (pin !== confirmation)
    faults.push({ code: 'mismatch', message: 'Les deux saisies du code PIN doivent être identiques.' });
  if (RUNS.has(pin))
    faults.push({
      code: 'run',
      message: 'Le code PIN ne doit pas comporter une suite de chiffres (par exemple 1234 ou 4321).',
    });
  if (/^(19|20)\d\d$/.test(pin))
    faults.push({ code: 'year', message: 'Le code PIN ne doit pas être une année (par exemple 1980 ou 2010).' });
  if (birthDateCombinations(birthDate).has(pin)) {
    faults.push({
      code: 'birth_date',
      message:
        'Le code PIN ne doit pas reprendre une partie de votre date de naissance (par exemple 0506 ou 0680 si vous êtes né un 5 juin 1980).',
    });
  }
  return faults;
}

/** Personal code (seed 001 "Conseils"): ≥ 8 characters, lower and upper case, ≥ 1 special character. */
export function personalCodeFaults(code: string): string[] {
  const faults: string[] = [];
  if ([...code].length < 8) faults.push('Le code personnel doit comporter au moins 8 caractères.');
  if (!/\p{Ll}/u.test(code) || !/\p{Lu}/u.test(code))
    faults.push('Le code personnel doit comporter des minuscules et des majuscules.');
  if (!/[^\p{L}\p{N}\s]/u.test(code))
    faults.push(
      'Le code personnel doit comporter au moins un caractère spécial (point d’exclamation, d’interrogation, barre oblique…).',
    );
  if ([...code].length > 128) faults.push('Le code personnel est trop long (128 caractères au plus).');
  return faults;
}

/** The questions offered to the holder, who picks three different ones. */
export const SECRET_QUESTIONS = [
  { code: 'ville_naissance_mere', label: 'Dans quelle ville est née votre mère ?' },
  { code: 'premier_animal', label: 'Quel était le nom de votre premier animal de compagnie ?' },
  { code: 'ecole_primaire', label: 'Quel est le nom de votre école primaire ?' },
  { code: 'meilleur_ami_enfance', label: 'Quel est le prénom de votre meilleur ami d’enfance ?' },
  { code: 'premiere_voiture', label: 'Quelle était la marque de votre première voiture ?' },
  { code: 'rue_enfance', label: 'Dans quelle rue avez-vous grandi ?' },
  { code: 'plat_prefere', label: 'Quel est votre plat préféré ?' },
  { code: 'premier_employeur', label: 'Quel a été votre premier employeur ?' },
] as const;
export type SecretQuestionCode = (typeof SECRET_QUESTIONS)[number]['code'];

export function isSecretQuestion(code: string): code is SecretQuestionCode {
  return SECRET_QUESTIONS.some((q) => q.code === code);
}

/** Three different known questions, each with a non-empty answer (kept exactly as typed: case counts). */
export function secretAnswersFaults(items: readonly { question: string; answer: string }[]): string[] {
  const faults: string[] = [];
  if (items.length !== 3) faults.push('Choisissez exactement trois questions secrètes.');
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (!isSecretQuestion(it.question)) faults.push(`Question ${i + 1} : question inconnue.`);
    else if (seen.has(it.question)) faults.push(`Question ${i + 1} : cette question est déjà choisie.`);
    seen.add(it.question);
    if (it.answer.trim().length === 0) faults.push(`Réponse ${i + 1} : la réponse est obligatoire.`);
    if (it.answer.length > 200) faults.push(`Réponse ${i + 1} : 200 caractères au plus.`);
  });
  return faults;
}
