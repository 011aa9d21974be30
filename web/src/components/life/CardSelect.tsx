// The choice of one of the holder's cards (« 1240002001 — modèle (état) »).
export function CardSelect(props: {
  id: string;
  label: string;
  cards: readonly { id: string; serial: string; modelLabel: string; stateLabel?: string | null }[];
  value: string;
  onChange: (cardId: string) => void;
}) {
  return (
    <div className="fr-select-group">
      <label className="fr-label" htmlFor={props.id}>
        {props.label}
      </label>
      <select id={props.id} className="fr-select" value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.cards.map((c) => (
          <option key={c.id} value={c.id}>
            {c.serial} — {c.modelLabel} ({c.stateLabel})
          </option>
        ))}
      </select>
    </div>
  );
}
