// DSFR table (v1.12+ markup: wrapper / container / content) with a mandatory caption.
// react-dsfr's <Table> still emits the older markup, hence this component.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

export interface DataTableProps {
  caption: ReactNode;
  headers: ReactNode[];
  rows: ReactNode[][];
  /** Key of each row (defaults to its index). */
  rowKeys?: string[];
  /** The first cell of each row is a row header (th scope="row"). */
  rowHeader?: boolean;
  bordered?: boolean;
  /** Let long cell contents wrap (DSFR cells do not wrap by default). */
  multiline?: boolean;
  /** Hide the caption visually (it stays for assistive technologies). */
  hideCaption?: boolean;
  id?: string;
  /** Content above the table (e.g. a count, actions). */
  header?: ReactNode;
  /** Content under the table (e.g. pagination). */
  footer?: ReactNode;
}

/**
 * A table wider than the screen scrolls horizontally: its container then becomes a focusable,
 * named region so keyboard users can scroll it (WCAG 2.1.1, axe "scrollable-region-focusable").
 */
function useScrollable() {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollable, setScrollable] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrollable(el.scrollWidth > el.clientWidth + 1);
    check();
    const observer = new ResizeObserver(check);
    observer.observe(el);
    const table = el.querySelector('table');
    if (table) observer.observe(table);
    return () => observer.disconnect();
  }, []);
  return { ref, scrollable };
}

export function DataTable(props: DataTableProps) {
  const captionId = useId();
  const { ref, scrollable } = useScrollable();
  const classes = ['fr-table'];
  if (props.bordered) classes.push('fr-table--bordered');
  if (props.multiline) classes.push('fr-table--multiline');
  if (props.hideCaption) classes.push('fr-table--no-caption');
  return (
    <div className={classes.join(' ')} id={props.id}>
      {props.header && <div className="fr-table__header">{props.header}</div>}
      <div className="fr-table__wrapper">
        <div
          className="fr-table__container"
          ref={ref}
          {...(scrollable ? { tabIndex: 0, role: 'region', 'aria-labelledby': captionId } : {})}
        >
          <div className="fr-table__content">
            <table>
              <caption id={captionId}>{props.caption}</caption>
              <thead>
                <tr>
                  {props.headers.map((h, i) => (
                    <th key={i} scope="col">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {props.rows.map((row, i) => (
                  <tr key={props.rowKeys?.[i] ?? i}>
                    {row.map((cell, j) =>
                      j === 0 && props.rowHeader ? (
                        <th key={j} scope="row">
                          {cell}
                        </th>
                      ) : (
                        <td key={j}>{cell}</td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
      {props.footer && <div className="fr-table__footer">{props.footer}</div>}
    </div>
  );
}
