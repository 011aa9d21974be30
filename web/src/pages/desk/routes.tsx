// Routes of the card's life after reception (operator's desk and holder's space), spread into the
// application's route table.
import type { ComponentType } from 'react';
import type { Permission } from '../../permissions.ts';
import { ActivationListPage, ActivationPage } from './ActivationPage.tsx';
import { DeparturePage, TransferPage } from './AgentMovePages.tsx';
import { DocumentsPage } from './DocumentsPage.tsx';
import { FinalizationPage } from './FinalizationPage.tsx';
import { HandoverPage } from './HandoverPage.tsx';
import { DeclarePage, HolderHomePage, MyCardsPage } from './HolderPages.tsx';
import { HolderUnblockPage } from './HolderUnblockPage.tsx';
import { MyPinsPage } from './MyPinsPage.tsx';
import { MySecretsPage } from './MySecretsPage.tsx';
import { OfflineUnblockPage } from './OfflineUnblockPage.tsx';
import { RenewalPage } from './RenewalPage.tsx';
import { ResetSecretsPage } from './ResetSecretsPage.tsx';
import { RevocationPage } from './RevocationPage.tsx';

export interface LifeRoute {
  path: string;
  component: ComponentType<{ params: Record<string, string> }>;
  public?: boolean;
  permission?: Permission;
}

export const LIFE_ROUTES: LifeRoute[] = [
  { path: '/supports/a-remettre/:id', component: HandoverPage, permission: 'card.operate' },
  { path: '/activation', component: ActivationListPage, permission: 'card.operate' },
  { path: '/activation/:id', component: ActivationPage, permission: 'card.operate' },
  { path: '/deblocage', component: OfflineUnblockPage, permission: 'card.operate' },
  { path: '/revocation', component: RevocationPage, permission: 'card.operate' },
  { path: '/finalisation', component: FinalizationPage, permission: 'card.operate' },
  { path: '/documents-supports', component: DocumentsPage, permission: 'card.operate' },
  { path: '/renouvellement', component: RenewalPage, permission: 'card.operate' },
  { path: '/questions-secretes', component: ResetSecretsPage, permission: 'card.operate' },
  { path: '/agents/:id/depart', component: DeparturePage, permission: 'card.operate' },
  { path: '/agents/:id/mutation', component: TransferPage, permission: 'card.operate' },
  { path: '/porteur', component: HolderHomePage },
  { path: '/porteur/cartes', component: MyCardsPage },
  { path: '/porteur/secrets', component: MySecretsPage },
  { path: '/porteur/codes-pin', component: MyPinsPage },
  { path: '/porteur/declaration', component: DeclarePage },
  { path: '/porteur/deblocage', component: HolderUnblockPage, public: true },
];
