// The generated HR feed of the benchmarks (import, portal): deterministic (seeded PRNG), streamed to
// a file, CSV with ';', UTF-8 with BOM, CRLF, the French header; varied French names, identifiers,
// dates, e-mails, phones, addresses. Every row is valid and its identifier unique.
import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { FEED_COLUMNS } from '../../src/domain/hr-feed.ts';
import { prng } from '../../src/domain/prng.ts';

export { prng };

const LAST_NAMES = [
  'Martin',
  'Bernard',
  'Thomas',
  'Petit',
  'Robert',
  'Richard',
  'Durand',
  'Dubois',
  'Moreau',
  'Laurent',
  'Simon',
  'Michel',
  'Lefèvre',
  'Leroy',
  'Roux',
  'David',
  'Bertrand',
  'Morel',
  'Fournier',
  'Girard',
  'Bonnet',
  'Dupont',
  'Lambert',
  'Fontaine',
  'Rousseau',
  'Vincent',
  'Müller',
  'Lefebvre',
  'Faure',
  'André',
  'Mercier',
  'Blanc',
  'Guérin',
  'Boyer',
  'Garnier',
  'Chevalier',
  'François',
  'Legrand',
  'Gauthier',
  'Garcia',
  'Perrin',
  'Robin',
  'Clément',
  'Morin',
  'Nicolas',
  'Henry',
  'Roussel',
  'Mathieu',
  'Gautier',
  'Masson',
  'Marchand',
  'Duval',
  'Denis',
  'Dumont',
  'Marie',
  'Lemaire',
  'Noël',
  'Meyer',
  'Dufour',
  'Meunier',
  'Brun',
  'Blanchard',
  'Giraud',
  'Joly',
  'Rivière',
  'Lucas',
  'Brunet',
  'Gaillard',
  'Barbier',
  'Arnaud',
  'Martinez',
  'Gérard',
  'Roche',
  'Renard',
  'Schmitt',
  'Roy',
  'Leroux',
  'Colin',
  'Vidal',
  'Caron',
  'Picard',
  'Roger',
  'Fabre',
  'Aubert',
  'Lemoine',
  'Renaud',
  'Dumas',
  'Lacroix',
  'Olivier',
  'Philippe',
  'Bourgeois',
  'Pierre',
  'Benoît',
  'Rey',
  'Leclerc',
  'Payet',
  'Rolland',
  'Le Gall',
  'Le Goff',
  'Kerbrat',
  'Tanguy',
  'Le Floc’h',
  "N'Diaye",
  "D'Almeida",
  'Saint-Martin',
  'de La Fontaine',
  'Hoarau',
  'Grondin',
  'Nguyen',
  'Da Silva',
  'Ferreira',
  'Lopez',
  'Gonzalez',
  'Bouvier',
  'Poirier',
  'Charpentier',
  'Hamel',
  'Lebrun',
  'Prévost',
  'Carré',
  'Jacquet',
  'Collet',
  'Besnard',
  'Hervé',
  'Étienne',
  'Béranger',
  'Lévêque',
  'Thibault',
  'Ménard',
  'Cordier',
];
const FEMALE_FIRST = [
  'Camille',
  'Léa',
  'Manon',
  'Chloé',
  'Emma',
  'Inès',
  'Jade',
  'Louise',
  'Sarah',
  'Clara',
  'Anaïs',
  'Océane',
  'Julie',
  'Marie',
  'Nathalie',
  'Isabelle',
  'Sylvie',
  'Catherine',
  'Christine',
  'Sophie',
  'Valérie',
  'Sandrine',
  'Céline',
  'Aurélie',
  'Élodie',
  'Hélène',
  'Agathe',
  'Maëlle',
  'Gwenaëlle',
  'Françoise',
  'Brigitte',
  'Josiane',
  'Geneviève',
  'Zoé',
  'Noémie',
  'Margaux',
  'Anne-Sophie',
  'Marie-Claire',
  'Marie-Hélène',
  'Anne',
];
const MALE_FIRST = [
  'Jean',
  'Pierre',
  'Michel',
  'Philippe',
  'Alain',
  'Nicolas',
  'Christophe',
  'Patrick',
  'Daniel',
  'Frédéric',
  'Laurent',
  'Stéphane',
  'Éric',
  'Sébastien',
  'Julien',
  'David',
  'Olivier',
  'Thomas',
  'Hugo',
  'Lucas',
  'Théo',
  'Maxime',
  'Antoine',
  'Jérôme',
  'François',
  'Gaël',
  'Loïc',
  'Yann',
  'Erwan',
  'Hervé',
  'Raphaël',
  'Benoît',
  'Grégoire',
  'Noël',
  'Joël',
  'Jean-Pierre',
  'Jean-Luc',
  'Paul-Henri',
  'Marc',
  'Louis',
];
const PLACES = [
  'Melun',
  'Meaux',
  'Provins',
  'Coulommiers',
  'Fontainebleau',
  'Nemours',
  'Paris',
  'Lyon',
  'Marseille',
  'Toulouse',
  'Nice',
  'Nantes',
  'Strasbourg',
  'Montpellier',
  'Bordeaux',
  'Lille',
  'Rennes',
  'Reims',
  'Le Havre',
  'Saint-Étienne',
  'Toulon',
  'Brest',
  'Quimper',
  'Lorient',
  'Morlaix',
  'Saint-Denis (La Réunion)',
  'Fort-de-France',
  'Pointe-à-Pitre',
  'Besançon',
  'Clermont-Ferrand',
  'Aix-en-Provence',
  'Châlons-en-Champagne',
  'Évry-Courcouronnes',
  'Cergy',
  'Alger (Algérie)',
  'Dakar (Sénégal)',
  'Bruxelles (Belgique)',
];
const DOMAINS = [
  'mairie-aubepierre.fr',
  'seine-et-marne.gouv.fr',
  'interieur.gouv.fr',
  'intradef.gouv.fr',
  'ants.gouv.fr',
  'ville-melun.fr',
  'agglo-paris-vallee-marne.fr',
  'gendarmerie.interieur.gouv.fr',
];
const STREETS = [
  'place de la Mairie',
  'rue de la République',
  'avenue du Général de Gaulle',
  'rue Victor Hugo',
  'boulevard Jean Jaurès',
  "rue de l'Église",
  'allée des Tilleuls',
  'quai Hippolyte Rossignol',
  'rue Saint-Étienne',
  'chemin des Écoliers',
];
const SERVICES = [
  'Service état civil',
  'Direction des ressources humaines',
  'Bureau des titres',
  'Accueil',
  'Secrétariat général',
];
const PROFILES = [
  "Officier d'état civil",
  "Agent d'état civil",
  'Responsable carte',
  'Instructeur titres',
  'Secrétaire de mairie',
  'Gestionnaire RH',
  'Comptable',
  "Agent d'accueil",
  'Opérateur CIMS',
  'Marin',
  'Gendarme',
  'Chef de bureau',
];
const CIVIL_CATEGORIES = ['Catégorie A', 'Catégorie B', 'Catégorie C', 'A', 'B', 'C', ''];
const MILITARY_CATEGORIES = ['Officier', 'Sous-officier', 'Militaire du rang'];
const HABILITATIONS = [
  'COMEDEC',
  'COMEDEC',
  'COMEDEC|ACTES',
  'COMEDEC, Hélios PESV2',
  'TES|SAIP',
  'CHORUS, Source Solde',
  'CIMS',
  'CIMS|CHORUS',
  'Hélios',
  'ACTES',
  '',
];

const slug = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const pad2 = (n: number): string => String(n).padStart(2, '0');
const digits = (rand: () => number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 10);
  return s;
};
const csvField = (v: string): string => (/[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One feed line (without the line break) for agent number n; every row is valid and its identifier unique. */
function feedLine(n: number, rand: () => number, orgOf?: (n: number, draw: number) => string): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const female = rand() < 0.55;
  let last = pick(LAST_NAMES);
  if (rand() < 0.04) last = `${last}-${pick(LAST_NAMES)}`.replace(/-(de|Le|Da|D')\b/, ' $1');
  let first = pick(female ? FEMALE_FIRST : MALE_FIRST);
  if (rand() < 0.3) first += ` ${pick(female ? FEMALE_FIRST : MALE_FIRST)}`;
  const lastCase = rand() < 0.5 ? last.toLocaleUpperCase('fr-FR') : last;

  // Identifiers: alliance (10 digits), nid (12 digits) and internal ones; n keeps them unique.
  const military = rand() < 0.2;
  let identifier: string;
  let kind: string;
  if (military) {
    identifier = String(1_000_000_000 + n);
    kind = 'alliance';
  } else if (rand() < 0.3) {
    identifier = String(100_000_000_000 + n);
    kind = rand() < 0.5 ? 'nid' : 'NID';
  } else {
    identifier = `${slug(first).slice(0, 1)}${slug(last).replace(/-/g, '').slice(0, 12)}.${n.toString(36)}`;
    kind = rand() < 0.8 ? 'interne' : '';
  }

  const sex = female ? pick(['F', 'F', 'F', 'féminin', 'f']) : pick(['M', 'M', 'M', 'masculin', 'm']);
  const y = 1958 + Math.floor(rand() * 47);
  const mo = 1 + Math.floor(rand() * 12);
  const d = 1 + Math.floor(rand() * 28);
  const birth = rand() < 0.7 ? `${pad2(d)}/${pad2(mo)}/${y}` : `${y}-${pad2(mo)}-${pad2(d)}`;
  const domain = military ? 'intradef.gouv.fr' : pick(DOMAINS);
  const email =
    rand() < 0.92 ? `${slug(first).replace(/-/g, '.')}.${slug(last)}${n % 7 === 0 ? '' : n % 1000}@${domain}` : '';
  const pn = digits(rand, 8);
  const phone = pick([
    `01 ${pn.slice(0, 2)} ${pn.slice(2, 4)} ${pn.slice(4, 6)} ${pn.slice(6, 8)}`,
    `06${pn}`,
    `+33 1 ${pn.slice(0, 2)} ${pn.slice(2, 4)} ${pn.slice(4, 6)} ${pn.slice(6, 8)}`,
    `07.${pn.slice(0, 2)}.${pn.slice(2, 4)}.${pn.slice(4, 6)}.${pn.slice(6, 8)}`,
    '',
  ]);
  const street = `${1 + Math.floor(rand() * 120)} ${pick(STREETS)}`;
  const r = rand();
  const address =
    r < 0.05
      ? `${pick(SERVICES)}; ${street}\n77720 Aubepierre-Ozouer-le-Repos`
      : r < 0.6
        ? `${street}, 77720 Aubepierre-Ozouer-le-Repos`
        : '';
  const status = military ? pick(['militaire', 'Militaire']) : pick(['civil', 'civil', 'civile', '']);
  const category = military ? pick(MILITARY_CATEGORIES) : pick(CIVIL_CATEGORIES);
  const habilitations = military ? pick(['CIMS', 'CIMS|CHORUS', 'Source Solde, CIMS']) : pick(HABILITATIONS);
  const draw = rand();
  const organisation = orgOf ? orgOf(n, draw) : draw < 0.25 ? '77011' : '';
  const values = [
    identifier,
    kind,
    lastCase,
    first,
    sex,
    birth,
    pick(PLACES),
    email,
    phone,
    address,
    status,
    category,
    pick(PROFILES),
    habilitations,
    organisation,
  ];
  return values.map(csvField).join(';');
}

/**
 * Writes a feed of `rows` agents to `path` and returns its size. `orgOf` chooses each row's
 * organisation code from its number and a uniform draw in [0, 1) (default: 77011 for a quarter of
 * the rows, the import's organisation for the others).
 */
export async function writeFeed(
  path: string,
  rows: number,
  orgOf?: (n: number, draw: number) => string,
): Promise<number> {
  const out = createWriteStream(path);
  const rand = prng(0xca47e5);
  let chunk = `\uFEFF${FEED_COLUMNS.join(';')}\r\n`;
  for (let n = 1; n <= rows; n++) {
    chunk += `${feedLine(n, rand, orgOf)}\r\n`;
    if (chunk.length >= 256 * 1024 || n === rows) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}
