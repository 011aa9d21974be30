// Workstation security self-assessment: the 9 measures of annex 3 of the municipality agreement
// (« Guide Sécurité des Postes de Travail », ANTS v1.1), each with its control points.

export interface Measure {
  code: string;
  title: string;
  controlPoints: { code: string; label: string }[];
}

export const MEASURES: Measure[] = [
  {
    code: 'M1',
    title: 'Chaque personne ayant accès au système doit être connue',
    controlPoints: [
      {
        code: 'M1.1',
        label: 'Chaque utilisateur dispose de sa session de travail personnelle (identifiant/mot de passe)',
      },
      { code: 'M1.2', label: 'La liste des utilisateurs du poste de travail existe et est tenue à jour' },
    ],
  },
  {
    code: 'M2',
    title: "Ne pas avoir les « droits d'administrateur » sur le poste",
    controlPoints: [
      { code: 'M2.1', label: 'Les utilisateurs du poste de travail ne disposent pas des droits « administrateur »' },
      { code: 'M2.2', label: "L'administrateur n'utilise pas (ou peu) sa session pour aller sur Internet" },
    ],
  },
  {
    code: 'M3',
    title: 'Le poste de travail est protégé contre les virus',
    controlPoints: [
      { code: 'M3.1', label: 'Un unique antivirus est installé et configuré sur le poste de travail' },
      { code: 'M3.2', label: 'Un utilisateur quelconque du poste de travail ne doit pas pouvoir le désactiver' },
    ],
  },
  {
    code: 'M4',
    title: 'Le poste de travail exploite des logiciels « à jour »',
    controlPoints: [
      { code: 'M4.1', label: "La mise à jour du système d'exploitation est programmée de façon automatique" },
      { code: 'M4.2', label: "L'état du poste de travail est régulièrement contrôlé par l'administrateur" },
    ],
  },
  {
    code: 'M5',
    title: 'Le poste de travail est protégé par un pare-feu (firewall)',
    controlPoints: [{ code: 'M5.1', label: 'Un unique pare-feu (matériel ou logiciel) protège le poste de travail' }],
  },
  {
    code: 'M6',
    title: "L'exécution automatique des clés USB doit être désactivée",
    controlPoints: [
      { code: 'M6.1', label: 'Les supports amovibles de stockage ne peuvent être connectés sur le poste de travail' },
    ],
  },
  {
    code: 'M7',
    title: "Limiter l'utilisation des technologies sans-fil",
    controlPoints: [
      { code: 'M7.1', label: "Le poste de travail est connecté au réseau à l'aide d'un câble réseau standard" },
      { code: 'M7.2', label: "Le clavier et la souris du poste de travail sont connectés à l'aide de fils" },
    ],
  },
  {
    code: 'M8',
    title: 'Travailler sur un bureau dégagé',
    controlPoints: [
      { code: 'M8.1', label: 'Le bureau du poste de travail est dégagé (pas de matériel inconnu à proximité)' },
      { code: 'M8.2', label: 'Les Cartes Agents ne sont pas stockées à proximité du poste de travail' },
      { code: 'M8.3', label: "Aucun élément sensible (mot de passe, code PIN) n'est affiché sur le poste de travail" },
    ],
  },
  {
    code: 'M9',
    title: 'Soyez prudents',
    controlPoints: [
      { code: 'M9.1', label: 'Les consignes ci-dessus ont été diffusées aux utilisateurs du poste de travail' },
      {
        code: 'M9.2',
        label: "Les navigateurs installés n'ont pas de barres d'outils spécifiques (Ask, Google, Hotmail, ...)",
      },
      { code: 'M9.3', label: "Les logiciels installés sur le poste de travail proviennent d'éditeurs fiables" },
    ],
  },
];

export const CONTROL_POINT_CODES: string[] = MEASURES.flatMap((m) => m.controlPoints.map((p) => p.code));

export interface ControlPointAnswer {
  conform: boolean;
  /** Set by a control (admin): this non-conformity is major. */
  major?: boolean;
  comment?: string;
}

export type AssessmentResult = 'conform' | 'minor' | 'major';

export const ASSESSMENT_RESULT_LABELS: Record<AssessmentResult, string> = {
  conform: 'Conforme',
  minor: 'Non-conformité mineure',
  major: 'Non-conformité majeure',
};

export function checkAnswers(answers: Record<string, ControlPointAnswer>): { field: string; reason: string }[] {
  const errors: { field: string; reason: string }[] = [];
  for (const code of CONTROL_POINT_CODES) {
    if (!answers[code]) errors.push({ field: code, reason: `Le point de contrôle ${code} n'a pas de réponse.` });
  }
  for (const [code, a] of Object.entries(answers)) {
    if (!CONTROL_POINT_CODES.includes(code))
      errors.push({ field: code, reason: `Point de contrôle inconnu : ${code}.` });
    else if (a.conform && a.major)
      errors.push({
        field: code,
        reason: `Le point ${code} est conforme : il ne peut pas être une non-conformité majeure.`,
      });
  }
  return errors;
}

export function assessmentResult(answers: Record<string, ControlPointAnswer>): AssessmentResult {
  const failures = Object.values(answers).filter((a) => !a.conform);
  if (failures.some((a) => a.major)) return 'major';
  return failures.length > 0 ? 'minor' : 'conform';
}
