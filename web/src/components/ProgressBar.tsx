// Labelled progress bar (native <progress>, styled in styles.css).
import { useId } from 'react';

export function ProgressBar(props: { label: string; value: number | null; max: number; detail?: string }) {
  const id = useId();
  const pct =
    props.value === null || props.max <= 0 ? null : Math.min(100, Math.round((props.value / props.max) * 100));
  return (
    <div className="ca-progress fr-mb-2w">
      <label htmlFor={id} className="fr-label">
        {props.label}
        {pct !== null ? ` : ${pct} %` : ''}
        {props.detail && <span className="fr-hint-text">{props.detail}</span>}
      </label>
      {pct === null ? <progress id={id} /> : <progress id={id} value={pct} max={100} />}
    </div>
  );
}
