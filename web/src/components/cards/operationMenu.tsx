// The operator's menu, named and ordered as PGCA's "Opération" universe (seed 001), shown
// according to the person's permissions; and the side menu framing every operation page.
import { SideMenu, type SideMenuProps } from '@codegouvfr/react-dsfr/SideMenu';
import type { ReactNode } from 'react';
import type { Session } from '../../api.ts';
import { can, type Permission } from '../../permissions.ts';
import { useLocation } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { LIFE_ENTRIES_AFTER_HANDOVER, LIFE_ENTRIES_AFTER_VALIDATION } from '../life/lifeMenu.tsx';

export interface OperationEntry {
  href: string;
  text: string;
  /** Needed to see the entry (null: anyone signed in). */
  permission: Permission | null;
  description: string;
  /** Entry shown under « Suivi des supports personnalisables ». */
  cards?: boolean;
}

export const OPERATION_ENTRIES: OperationEntry[] = [
  {
    href: '/lots',
    text: 'Suivi des lots de demandes',
    permission: 'card.read',
    description: 'États des lots et messages du fabricant.',
  },
  {
    href: '/demandes',
    text: 'Suivi des demandes',
    permission: 'card.read',
    description: 'Demandes de carte : état, prérequis, signature.',
  },
  {
    href: '/lots/saisie',
    text: 'Saisie d’un lot de demandes',
    permission: 'cardRequest.write',
    description: 'Regrouper des demandes signées en un lot, signé.',
  },
  {
    href: '/porteurs',
    text: 'Suivi des porteurs',
    permission: 'card.read',
    description: 'Les porteurs et leurs cartes.',
  },
  {
    href: '/supports',
    text: 'Liste des supports personnalisables',
    permission: 'card.read',
    description: 'Toutes les cartes et leur état.',
    cards: true,
  },
  {
    href: '/supports/a-remettre',
    text: 'Supports à remettre',
    permission: 'card.read',
    description: 'Cartes expédiées ou reçues : réception, renvoi du code d’activation.',
    cards: true,
  },
  ...LIFE_ENTRIES_AFTER_HANDOVER,
  {
    href: '/lots/validation',
    text: 'Validation des lots de demandes',
    permission: 'batch.validate',
    description: 'Contrôler et valider les lots avant leur envoi au fabricant.',
  },
  ...LIFE_ENTRIES_AFTER_VALIDATION,
  {
    href: '/connectivite',
    text: 'Test de la connectivité',
    permission: null,
    description: 'Portail, agent de carte, lecteur et carte.',
  },
];

export function operationEntries(session: Session | null): OperationEntry[] {
  return OPERATION_ENTRIES.filter((e) => e.permission === null || can(session, e.permission));
}

/** True when the path belongs to the operation universe. */
export function isOperationPath(pathname: string): boolean {
  return (
    pathname === '/operation' || OPERATION_ENTRIES.some((e) => pathname === e.href || pathname.startsWith(`${e.href}/`))
  );
}

function activeHref(pathname: string): string | null {
  // The longest matching entry wins (/lots/saisie before /lots).
  let best: string | null = null;
  for (const e of OPERATION_ENTRIES) {
    if ((pathname === e.href || pathname.startsWith(`${e.href}/`)) && (!best || e.href.length > best.length))
      best = e.href;
  }
  return best;
}

/** Operation page frame: PGCA's side menu, then the page. */
export function OperationLayout(props: { children: ReactNode }) {
  const { session } = useSession();
  const { pathname } = useLocation();
  const entries = operationEntries(session);
  const active = activeHref(pathname);
  const items: SideMenuProps.Item[] = [];
  const cardItems: SideMenuProps.Item[] = [];
  for (const e of entries) {
    const item = { text: e.text, linkProps: { href: e.href }, isActive: active === e.href };
    if (e.cards) {
      if (cardItems.length === 0) {
        items.push({
          text: 'Suivi des supports personnalisables',
          items: cardItems,
          expandedByDefault: true,
          isActive: entries.some((x) => x.cards && x.href === active),
        });
      }
      cardItems.push(item);
    } else {
      items.push(item);
    }
  }
  return (
    <div className="fr-grid-row fr-grid-row--gutters">
      <div className="fr-col-12 fr-col-md-4 fr-col-lg-3">
        <SideMenu id="menu-operation" title="Opération" burgerMenuButtonText="Menu Opération" items={items} />
      </div>
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-9">{props.children}</div>
    </div>
  );
}
