// « Informations porteur » (seed 001): name, first names, email, phone, DN of the card.
import { DescriptionList } from '../DescriptionList.tsx';
import type { HolderInfo } from '../../lifeApi.ts';

export function HolderDetails(props: { holder: HolderInfo; dn: string | null; headingId?: string }) {
  const h = props.holder;
  return (
    <section className="fr-mb-4w" aria-labelledby={props.headingId ?? 'informations-porteur'}>
      <h2 id={props.headingId ?? 'informations-porteur'} className="fr-h4">
        Informations porteur
      </h2>
      <DescriptionList
        items={[
          ['Nom', h.lastName],
          ['Prénom', h.firstNames],
          ['E-mail', h.email],
          ['Téléphone', h.phone],
          ['DN', props.dn ? <span className="ca-code">{props.dn}</span> : null],
        ]}
      />
    </section>
  );
}
