// DSFR pagination whose links keep the current query parameters and change `page`.
import { Pagination } from '@codegouvfr/react-dsfr/Pagination';

export function Pager(props: {
  total: number;
  /** False when `total` is a lower bound: no « last page » link. */
  exact?: boolean;
  page: number;
  pageSize: number;
  /** Builds the link of a page (usually the current URL with page=N). */
  href: (page: number) => string;
  /** For in-place paging (no URL change). */
  onPage?: (page: number) => void;
}) {
  const count = Math.max(1, Math.ceil(props.total / props.pageSize));
  if (count <= 1) return null;
  return (
    <Pagination
      count={count}
      defaultPage={Math.min(props.page, count)}
      showFirstLast={props.exact !== false}
      getPageLinkProps={(page) => ({
        href: props.href(page),
        onClick: props.onPage
          ? (e) => {
              e.preventDefault();
              props.onPage!(page);
            }
          : undefined,
      })}
    />
  );
}

/** Current pathname + search with `page` (and other params) replaced. */
export function hrefWith(params: Record<string, string | number | null | undefined>): string {
  const sp = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') sp.delete(k);
    else sp.set(k, String(v));
  }
  const s = sp.toString();
  return s ? `${window.location.pathname}?${s}` : window.location.pathname;
}
