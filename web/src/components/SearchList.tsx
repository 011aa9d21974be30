// The parts every list page is made of: the criteria (in the URL, so that results can be bookmarked and
// the back button works), the search form, and what was found (a failure, a live count or the empty
// message, the table and its pager).
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { withQuery } from '../api.ts';
import type { AsyncState } from '../hooks.ts';
import { navigate, useSearchParams } from '../router.tsx';
import { DataTable, type DataTableProps } from './DataTable.tsx';
import { hrefWith, Pager } from './Pager.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';

/**
 * The criteria of a list page in its URL: `params` names the URL parameter of each criterion
 * (`{ q: 'q', state: 'etat' }`). `criteria` and `page` are the URL's; `form` is what is being typed,
 * which follows the URL on back and forward; `submit` puts the form (trimmed) in the URL, page 1.
 */
export function useUrlCriteria<K extends string>(path: string, params: Record<K, string>) {
  const sp = useSearchParams();
  const keys = Object.keys(params) as K[];
  const criteria = Object.fromEntries(keys.map((k) => [k, sp.get(params[k]) ?? ''])) as Record<K, string>;
  const page = Math.max(1, Number(sp.get('page')) || 1);
  const [form, setForm] = useState(criteria);
  const current = JSON.stringify(criteria);
  useEffect(() => setForm(JSON.parse(current) as Record<K, string>), [current]);
  const setField = (key: K, value: string) => setForm({ ...form, [key]: value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(withQuery(path, Object.fromEntries(keys.map((k) => [params[k], form[k].trim()]))));
  };
  const any = keys.some((k) => criteria[k] !== '');
  return { criteria, page, form, setField, submit, any };
}

/** The search form of a list: its fields side by side (SearchInput, SearchSelect…), then the button. */
export function SearchForm(props: {
  /** The form's accessible name (« Rechercher des cartes »). */
  label: string;
  onSubmit: (e: FormEvent) => void;
  children: ReactNode;
  /** Grid column of the button (default `fr-col-md-4`). */
  buttonCol?: string;
  /** « Filtrer » for filters only (default « Rechercher »). */
  filter?: boolean;
  className?: string;
}) {
  return (
    <form role="search" aria-label={props.label} onSubmit={props.onSubmit} className={props.className ?? 'fr-mb-4w'}>
      <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
        {props.children}
        <div className={`fr-col-12 ${props.buttonCol ?? 'fr-col-md-4'}`}>
          <Button
            type="submit"
            iconId={props.filter ? 'fr-icon-filter-line' : 'fr-icon-search-line'}
            className="fr-mb-3v"
          >
            {props.filter ? 'Filtrer' : 'Rechercher'}
          </Button>
        </div>
      </div>
    </form>
  );
}

/** A text criterion, in its grid column (`col`, e.g. `fr-col-md-8`). */
export function SearchInput(props: {
  col: string;
  label: string;
  hint?: string;
  name?: string;
  value: string;
  onChange: (value: string) => void;
  /** An exact code rather than words: a plain text field. */
  plain?: boolean;
}) {
  return (
    <div className={`fr-col-12 ${props.col}`}>
      <Input
        label={props.label}
        hintText={props.hint}
        nativeInputProps={{
          ...(props.plain ? {} : { type: 'search' }),
          name: props.name,
          value: props.value,
          onChange: (e) => props.onChange(e.target.value),
        }}
      />
    </div>
  );
}

/** A criterion among choices (value → label), '' standing for any (`anyLabel`). */
export function SearchSelect(props: {
  col: string;
  label: string;
  name?: string;
  value: string;
  onChange: (value: string) => void;
  anyLabel: string;
  options: Record<string, string> | readonly (readonly [string, string])[];
}) {
  const options = Array.isArray(props.options) ? props.options : Object.entries(props.options);
  return (
    <div className={`fr-col-12 ${props.col}`}>
      <Select
        label={props.label}
        nativeSelectProps={{ name: props.name, value: props.value, onChange: (e) => props.onChange(e.target.value) }}
      >
        <option value="">{props.anyLabel}</option>
        {options.map(([code, text]) => (
          <option key={code} value={code}>
            {text}
          </option>
        ))}
      </Select>
    </div>
  );
}

/** The status line of a list: « Chargement… », then the count or the empty message (a live region). */
export function ListStatus(props: { loading: boolean; loaded: boolean; children: ReactNode; loadingText?: string }) {
  return (
    <div role="status" className="fr-mb-2w">
      {props.loading ? (
        <p className="fr-mb-0">{props.loadingText ?? 'Chargement…'}</p>
      ) : props.loaded ? (
        <p className="fr-mb-0">{props.children}</p>
      ) : null}
    </div>
  );
}

/** What a search found: its failure, the status line, then the table (one row per item) and its pager. */
export function SearchResults<T>(props: {
  results: Pick<AsyncState<{ items: T[]; total?: number } | undefined>, 'data' | 'error' | 'loading'>;
  errorTitle: string;
  loadingText?: string;
  /** The status line when something was found, from the total. */
  found: (total: number) => ReactNode;
  /** The status line when nothing was. */
  empty: ReactNode;
  table: Omit<DataTableProps, 'rows' | 'rowKeys' | 'footer'>;
  rowKey: (item: T) => string;
  row: (item: T) => ReactNode[];
  /** Paged in the URL (`page`), `pageSize` items a page. */
  paging?: { page: number; pageSize: number };
}) {
  const data = props.results.data;
  const items = data?.items ?? [];
  const paging = props.paging;
  // Without a pager the count says what the table shows.
  const total = paging && data ? (data.total ?? items.length) : items.length;
  return (
    <>
      <ProblemAlert error={props.results.error} title={props.errorTitle} />
      <ListStatus loading={props.results.loading} loaded={!!data} loadingText={props.loadingText}>
        {total === 0 ? props.empty : props.found(total)}
      </ListStatus>
      {items.length > 0 && (
        <DataTable
          {...props.table}
          rowKeys={items.map(props.rowKey)}
          rows={items.map(props.row)}
          footer={
            paging && (
              <Pager
                total={total}
                page={paging.page}
                pageSize={paging.pageSize}
                href={(p) => hrefWith({ page: p === 1 ? null : p })}
              />
            )
          }
        />
      )}
    </>
  );
}
