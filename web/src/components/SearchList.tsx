// The parts every list page is made of: the criteria (in the URL, so that results can be bookmarked and
// the back button works), the search form, and what was found (a failure, a live count or the empty
// message, the table and its pager).
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { withQuery } from '../api.ts';
import { pageOfText, plural } from '../format.ts';
import type { AsyncState } from '../hooks.ts';
import { navigate, useSearchParams } from '../router.tsx';
import { DataTable, type DataTableProps } from './DataTable.tsx';
import { hrefWith, Pager } from './Pager.tsx';
import { ProblemAlert } from './ProblemAlert.tsx';

/** What a search form edits and submits (useUrlCriteria, useLocalCriteria). */
export interface Criteria<K extends string> {
  /** The criteria searched for. */
  criteria: Record<K, string>;
  /** What is being typed. */
  form: Record<K, string>;
  setField: (key: K, value: string) => void;
  submit: (e: FormEvent) => void;
  /** Some criterion is given. */
  any: boolean;
  /** The parameter name of each field (the URL's, when in the URL). */
  names: Partial<Record<K, string>>;
}

function useCriteriaForm<K extends string>(criteria: Record<K, string>) {
  const [form, setForm] = useState(criteria);
  const current = JSON.stringify(criteria);
  // Back and forward change the criteria: the form follows.
  useEffect(() => setForm(JSON.parse(current) as Record<K, string>), [current]);
  const trimmed = () =>
    Object.fromEntries(Object.entries(form).map(([k, v]) => [k, String(v).trim()])) as Record<K, string>;
  return {
    form,
    setField: (key: K, value: string) => setForm({ ...form, [key]: value }),
    trimmed,
    any: Object.values(criteria).some((v) => v !== ''),
  };
}

/**
 * The criteria of a list page in its URL: `params` names the URL parameter of each criterion
 * (`{ q: 'q', state: 'etat' }`), `page` is the URL's page; submitting puts the form (trimmed) in the
 * URL, page 1.
 */
export function useUrlCriteria<K extends string>(
  path: string,
  params: Record<K, string>,
): Criteria<K> & { page: number } {
  const sp = useSearchParams();
  const keys = Object.keys(params) as K[];
  const criteria = Object.fromEntries(keys.map((k) => [k, sp.get(params[k]) ?? ''])) as Record<K, string>;
  const f = useCriteriaForm(criteria);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const values = f.trimmed();
    navigate(withQuery(path, Object.fromEntries(keys.map((k) => [params[k], values[k]]))));
  };
  return { criteria, page: Math.max(1, Number(sp.get('page')) || 1), ...f, submit, names: params };
}

/** The criteria of a search kept in the page (not in the URL); `onSearch` runs on each submit. */
export function useLocalCriteria<K extends string>(keys: readonly K[], onSearch?: () => void): Criteria<K> {
  const [criteria, setCriteria] = useState(() => Object.fromEntries(keys.map((k) => [k, ''])) as Record<K, string>);
  const f = useCriteriaForm(criteria);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCriteria(f.trimmed());
    onSearch?.();
  };
  return { criteria, ...f, submit, names: {} };
}

/** A criterion of a search form: a text field, or a choice among `options` when given. */
export interface SearchField<K extends string> {
  key: K;
  /** Grid column (`fr-col-md-8`…). */
  col: string;
  label: string;
  hint?: string;
  /** Value → label; '' stands for any (`any`). */
  options?: Record<string, string> | readonly (readonly [string, string])[];
  any?: string;
  /** An exact code rather than words: a plain text field. */
  plain?: boolean;
}

/** The search form of a list: its fields side by side, then the button. */
export function SearchForm<K extends string>(props: {
  /** The form's accessible name (« Rechercher des cartes »). */
  label: string;
  search: Criteria<K>;
  fields: SearchField<K>[];
  /** Grid column of the button (default `fr-col-md-4`). */
  buttonCol?: string;
  /** « Filtrer » for filters only (default « Rechercher »). */
  filter?: boolean;
  className?: string;
}) {
  const { search } = props;
  return (
    <form role="search" aria-label={props.label} onSubmit={search.submit} className={props.className ?? 'fr-mb-4w'}>
      <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
        {props.fields.map((f) => (
          <div key={f.key} className={`fr-col-12 ${f.col}`}>
            <SearchFieldInput
              field={f}
              name={search.names[f.key]}
              value={search.form[f.key]}
              onChange={(v) => search.setField(f.key, v)}
            />
          </div>
        ))}
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

function SearchFieldInput<K extends string>(props: {
  field: SearchField<K>;
  name: string | undefined;
  value: string;
  onChange: (value: string) => void;
}) {
  const { field: f, name, value } = props;
  if (!f.options)
    return (
      <Input
        label={f.label}
        hintText={f.hint}
        nativeInputProps={{
          ...(f.plain ? {} : { type: 'search' }),
          name,
          value,
          onChange: (e) => props.onChange(e.target.value),
        }}
      />
    );
  const options = Array.isArray(f.options) ? f.options : Object.entries(f.options);
  return (
    <Select label={f.label} nativeSelectProps={{ name, value, onChange: (e) => props.onChange(e.target.value) }}>
      <option value="">{f.any}</option>
      {options.map(([code, text]) => (
        <option key={code} value={code}>
          {text}
        </option>
      ))}
    </Select>
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
  results: Pick<
    AsyncState<{ items: T[]; total?: number; totalExact?: boolean } | undefined>,
    'data' | 'error' | 'loading'
  >;
  /**
   * The failure's title, the status line when something was found (from the total, `exact` false when it is
   * a lower bound; by default « N noun. » or « plus de N noun. »), and when nothing was.
   */
  texts: {
    error: string;
    noun?: [one: string, many: string];
    found?: (total: number, exact: boolean) => ReactNode;
    empty: ReactNode;
    loading?: string;
  };
  table: Omit<DataTableProps, 'rows' | 'rowKeys' | 'footer'>;
  rowKey: (item: T) => string;
  row: (item: T) => ReactNode[];
  /** Paged in the URL (`page`), `pageSize` items a page. */
  paging?: { page: number; pageSize: number };
}) {
  const { texts, paging } = props;
  const data = props.results.data;
  const items = data?.items ?? [];
  // Without a pager the count says what the table shows.
  const total = paging && data ? (data.total ?? items.length) : items.length;
  const exact = !paging || data?.totalExact !== false;
  const found =
    texts.found ??
    ((n: number) => `${exact ? '' : 'plus de '}${plural(n, ...(texts.noun ?? ['élément', 'éléments']))}.`);
  return (
    <>
      <ProblemAlert error={props.results.error} title={texts.error} />
      <ListStatus loading={props.results.loading} loaded={!!data} loadingText={texts.loading}>
        {total === 0 ? texts.empty : found(total, exact)}
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
                exact={exact}
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

/** « — page 2 sur 5 » when the list has more than one page; « — page 2 » when the total is a lower bound. */
export function pageOfPages(page: number, total: number, pageSize: number, exact = true): string {
  return pageOfText({ total, totalExact: exact, pageSize }, page);
}
