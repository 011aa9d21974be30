// Menu entries of the card's life after reception: the operator's ones (PGCA « Opération »,
// seed 001) and the holder's universe (PGCA « Porteur »), with its side menu.
import { SideMenu, type SideMenuProps } from '@codegouvfr/react-dsfr/SideMenu';
import type { ReactNode } from 'react';
import type { OperationEntry } from '../cards/operationMenu.tsx';
import { useLocation } from '../../router.tsx';
import { useSession } from '../../session.tsx';

/** Under « Suivi des supports personnalisables » (cards: true), then the two top-level entries. */
export const LIFE_OPERATION_ENTRIES: OperationEntry[] = [
  {
    href: '/activation',
    text: 'Activation de support',
    permission: 'card.operate',
    description: 'Activer une carte remise, en présence de son porteur.',
    cards: true,
  },
  {
    href: '/deblocage',
    text: 'Déblocage de support',
    permission: 'card.operate',
    description: 'Réinitialiser les codes PIN d’une carte bloquée, porteur présent.',
    cards: true,
  },
  {
    href: '/revocation',
    text: 'Révocation de support hors-ligne',
    permission: 'card.operate',
    description: 'Révoquer, lever une suspension, restitution et destruction.',
    cards: true,
  },
  {
    href: '/finalisation',
    text: 'Finalisation de l’activation',
    permission: 'card.operate',
    description: 'Parapher l’attestation de remise une fois les secrets du porteur définis.',
    cards: true,
  },
  {
    href: '/documents-supports',
    text: 'Téléchargement de documents',
    permission: 'card.operate',
    description: 'Attestation de remise d’une carte.',
    cards: true,
  },
  {
    href: '/renouvellement',
    text: 'Renouvellement de certificat(s)',
    permission: 'card.operate',
    description: 'Certificats renouvelables d’une carte, présence du porteur.',
  },
  {
    href: '/questions-secretes',
    text: 'Réinitialisation des questions secrètes',
    permission: 'card.operate',
    description: 'Effacer les secrets d’un porteur verrouillé.',
  },
];

/** Placed after « Supports à remettre » (the card entries, then « Renouvellement de certificat(s) »). */
export const LIFE_ENTRIES_AFTER_HANDOVER = LIFE_OPERATION_ENTRIES.filter((e) => e.href !== '/questions-secretes');
/** Placed after « Validation des lots de demandes », as in PGCA's menu. */
export const LIFE_ENTRIES_AFTER_VALIDATION = LIFE_OPERATION_ENTRIES.filter((e) => e.href === '/questions-secretes');

export interface HolderEntry {
  href: string;
  text: string;
  description: string;
  /** Reachable without signing in (blocked or lost card). */
  public?: boolean;
}

export const HOLDER_ENTRIES: HolderEntry[] = [
  {
    href: '/porteur/cartes',
    text: 'Mes cartes',
    description: 'Vos cartes, leurs certificats, leur historique et leurs documents.',
  },
  {
    href: '/porteur/secrets',
    text: 'Mes secrets',
    description: 'Votre code personnel et vos trois questions secrètes, pour débloquer votre carte.',
  },
  {
    href: '/porteur/codes-pin',
    text: 'Modifier mes codes PIN',
    description: 'Changer votre PIN Global ou votre PIN Propre en connaissant le code actuel.',
  },
  {
    href: '/porteur/declaration',
    text: 'Déclarer une perte ou un vol',
    description: 'Révoquer ou suspendre une carte perdue, volée ou égarée.',
  },
  {
    href: '/porteur/deblocage',
    text: 'Débloquer ma carte',
    description: 'Codes PIN bloqués : identifiez-vous avec vos secrets et choisissez de nouveaux codes.',
    public: true,
  },
];

/** Holder page frame: the « Porteur » side menu (only the public entry when not signed in). */
export function HolderLayout(props: { children: ReactNode }) {
  const { session } = useSession();
  const { pathname } = useLocation();
  const items: SideMenuProps.Item[] = HOLDER_ENTRIES.filter((e) => session || e.public).map((e) => ({
    text: e.text,
    linkProps: { href: e.href },
    isActive: pathname === e.href || pathname.startsWith(`${e.href}/`),
  }));
  return (
    <div className="fr-grid-row fr-grid-row--gutters">
      <div className="fr-col-12 fr-col-md-4 fr-col-lg-3">
        <SideMenu id="menu-porteur" title="Porteur" burgerMenuButtonText="Menu Porteur" items={items} />
      </div>
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-9">{props.children}</div>
    </div>
  );
}
