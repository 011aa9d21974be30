// Label / value pairs (identity card of an organisation, an agent...).
import type { ReactNode } from 'react';

export function DescriptionList(props: { items: [label: string, value: ReactNode][] }) {
  return (
    <dl className="ca-dl">
      {props.items.map(([label, value]) => (
        <div key={label} className="ca-dl__row">
          <dt>{label}</dt>
          <dd>{value === null || value === undefined || value === '' ? '—' : value}</dd>
        </div>
      ))}
    </dl>
  );
}
