// Polite "loading" message, announced by screen readers.
export function Loading(props: { label?: string }) {
  return (
    <p className="fr-text--sm ca-loading" role="status">
      {props.label ?? 'Chargement…'}
    </p>
  );
}
