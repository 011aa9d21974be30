// The card models the platform orders (pure list: the demo and the migrations' seed copy it into
// `card_models`). Population = the issuing CA of the holders' certificates.

export const CARD_PROFILES = ['auth', 'sign', 'enc'] as const;
export type CardProfile = (typeof CARD_PROFILES)[number];

export const CARD_PROFILE_LABELS: Record<CardProfile, string> = {
  auth: 'Authentification',
  sign: 'Signature',
  enc: 'Chiffrement',
};

export const CARD_POPULATIONS = ['collectivites', 'etat', 'armees'] as const;
export type CardPopulation = (typeof CARD_POPULATIONS)[number];

export const CARD_MODEL_KINDS = ['personalizable', 'instant'] as const;
export type CardModelKind = (typeof CARD_MODEL_KINDS)[number];

export const CARD_MODEL_KIND_LABELS: Record<CardModelKind, string> = {
  personalizable: 'Carte personnalisable',
  instant: 'Support instantané',
};

/** Validity of a card (and of its certificates): 6 years. */
export const CARD_YEARS = 6;

export interface CardModel {
  code: string;
  label: string;
  population: CardPopulation;
  kind: CardModelKind;
  /** Certificate profiles (and key slots) the card carries, in slot order. */
  profiles: readonly CardProfile[];
  cardYears: number;
}

export const CARD_MODELS: readonly CardModel[] = [
  {
    code: 'collectivites-2017',
    label: 'Carte pour les agents des collectivités territoriales 2017-2020',
    population: 'collectivites',
    kind: 'personalizable',
    profiles: ['auth', 'sign'],
    cardYears: CARD_YEARS,
  },
  {
    code: 'cims-agent',
    label: 'CIMS « agent »',
    population: 'armees',
    kind: 'personalizable',
    profiles: ['auth', 'sign', 'enc'],
    cardYears: CARD_YEARS,
  },
  {
    code: 'cims-exterieure',
    label: 'CIMS « extérieure »',
    population: 'armees',
    kind: 'personalizable',
    profiles: ['auth', 'sign'],
    cardYears: CARD_YEARS,
  },
  {
    code: 'etat-agent',
    label: "Carte des agents de l'État",
    population: 'etat',
    kind: 'personalizable',
    profiles: ['auth', 'sign'],
    cardYears: CARD_YEARS,
  },
];

export function findCardModel(code: string): CardModel | null {
  return CARD_MODELS.find((m) => m.code === code) ?? null;
}

export function isCardProfile(value: string): value is CardProfile {
  return (CARD_PROFILES as readonly string[]).includes(value);
}

/** The models whose certificates a population's CA issues. */
export function cardModelsOfPopulation(population: CardPopulation): CardModel[] {
  return CARD_MODELS.filter((m) => m.population === population);
}
