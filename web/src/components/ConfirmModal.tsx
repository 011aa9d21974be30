// Confirmation dialog on the DSFR modal. Create one per use at module level:
//   const confirmNotice = createConfirm('confirm-notice');
//   <confirmNotice.Dialog title=... confirmLabel=... onConfirm=...>text</confirmNotice.Dialog>
//   <Button nativeButtonProps={confirmNotice.buttonProps}>...</Button>   or   confirmNotice.open()
import { createModal } from '@codegouvfr/react-dsfr/Modal';
import type { ReactNode } from 'react';

export function createConfirm(id: string) {
  const modal = createModal({ id, isOpenedByDefault: false });
  function Dialog(props: {
    title: string;
    confirmLabel: string;
    onConfirm: () => void;
    children: ReactNode;
    cancelLabel?: string;
  }) {
    return (
      <modal.Component
        title={props.title}
        titleAs="h2"
        buttons={[
          { children: props.cancelLabel ?? 'Annuler', priority: 'secondary' },
          { children: props.confirmLabel, onClick: props.onConfirm },
        ]}
      >
        {props.children}
      </modal.Component>
    );
  }
  return { Dialog, open: modal.open, close: modal.close, buttonProps: modal.buttonProps };
}
