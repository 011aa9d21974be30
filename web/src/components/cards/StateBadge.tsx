import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { stateSeverity } from '../../cardLabels.ts';
import { label } from '../../format.ts';

/** A request, batch or card state as a small coloured badge with its French label. */
export function StateBadge(props: { state: string; labels: Record<string, string> }) {
  return (
    <Badge small noIcon severity={stateSeverity(props.state)}>
      {label(props.labels, props.state)}
    </Badge>
  );
}
