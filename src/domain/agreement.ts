import { addMonths, addYears } from './dates.ts';

// Municipality agreement (convention d'adhésion, 004 art. IX): 6 years from signature, renewed
// tacitly by 6-year periods; either party may end it with 3 months' notice.

export const AGREEMENT_TERM_YEARS = 6;
export const AGREEMENT_NOTICE_MONTHS = 3;

export type AgreementState = 'active' | 'notice' | 'terminated' | 'suspended' | 'not_started';

export const AGREEMENT_STATE_LABELS: Record<AgreementState, string> = {
  active: 'En vigueur',
  notice: 'Résiliation en préavis',
  terminated: 'Résiliée',
  suspended: 'Suspendue',
  not_started: 'Pas encore en vigueur',
};

export interface AgreementFacts {
  signedOn: string;
  suspended: boolean;
  noticeGivenOn: string | null;
}

export interface AgreementView {
  state: AgreementState;
  /** End of the 6-year period running on `today` (the next tacit renewal date). */
  currentPeriodEndsOn: string;
  renewals: number;
  terminationEffectiveOn: string | null;
}

export function agreementView(a: AgreementFacts, today: string): AgreementView {
  let renewals = 0;
  let end = addYears(a.signedOn, AGREEMENT_TERM_YEARS);
  while (end <= today && renewals < 100) {
    renewals++;
    end = addYears(a.signedOn, AGREEMENT_TERM_YEARS * (renewals + 1));
  }
  const terminationEffectiveOn = a.noticeGivenOn ? addMonths(a.noticeGivenOn, AGREEMENT_NOTICE_MONTHS) : null;
  let state: AgreementState;
  if (today < a.signedOn) state = 'not_started';
  else if (terminationEffectiveOn && today >= terminationEffectiveOn) state = 'terminated';
  else if (a.suspended) state = 'suspended';
  else if (terminationEffectiveOn) state = 'notice';
  else state = 'active';
  return { state, currentPeriodEndsOn: end, renewals, terminationEffectiveOn };
}
