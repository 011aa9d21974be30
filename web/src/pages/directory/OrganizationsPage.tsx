// /organisations — the organisations in the caller's scope as an expandable tree.
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useMemo, useState } from 'react';
import { api, type OrganizationSummary } from '../../api.ts';
import { Loading } from '../../components/Loading.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { plural } from '../../format.ts';
import { useAsync, usePageTitle } from '../../hooks.ts';
import { Link } from '../../router.tsx';

/** Children shown at first under one node (a prefecture may hold hundreds of communes). */
const CHILDREN_PAGE = 100;

interface Tree {
  roots: OrganizationSummary[];
  children: Map<string, OrganizationSummary[]>;
  byId: Map<string, OrganizationSummary>;
}

const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

function buildTree(items: OrganizationSummary[]): Tree {
  const byId = new Map(items.map((o) => [o.id, o]));
  const children = new Map<string, OrganizationSummary[]>();
  const roots: OrganizationSummary[] = [];
  for (const o of items) {
    if (o.parentId && byId.has(o.parentId)) {
      const list = children.get(o.parentId) ?? [];
      list.push(o);
      children.set(o.parentId, list);
    } else {
      roots.push(o);
    }
  }
  const byName = (a: OrganizationSummary, b: OrganizationSummary) => collator.compare(a.name, b.name);
  roots.sort(byName);
  for (const list of children.values()) list.sort(byName);
  return { roots, children, byId };
}

function normalize(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Ids of the organisations matching the filter and of all their ancestors. */
function visibleForFilter(tree: Tree, filter: string): Set<string> | null {
  const f = normalize(filter.trim());
  if (!f) return null;
  const visible = new Set<string>();
  for (const o of tree.byId.values()) {
    const hay = normalize(`${o.name} ${o.code} ${o.inseeCode ?? ''} ${o.siren ?? ''}`);
    if (!hay.includes(f)) continue;
    let cur: OrganizationSummary | undefined = o;
    while (cur && !visible.has(cur.id)) {
      visible.add(cur.id);
      cur = cur.parentId ? tree.byId.get(cur.parentId) : undefined;
    }
  }
  return visible;
}

interface NodeProps {
  org: OrganizationSummary;
  tree: Tree;
  expanded: Set<string>;
  toggle: (id: string) => void;
  visible: Set<string> | null;
}

function TreeNode({ org, tree, expanded, toggle, visible }: NodeProps) {
  const [limit, setLimit] = useState(CHILDREN_PAGE);
  const all = tree.children.get(org.id) ?? [];
  const kids = visible ? all.filter((c) => visible.has(c.id)) : all;
  const open = visible ? true : expanded.has(org.id);
  const groupId = `org-children-${org.id}`;
  const shown = kids.slice(0, limit);
  return (
    <li>
      <div className="ca-tree__row">
        {kids.length > 0 && !visible ? (
          <Button
            className="ca-tree__toggle"
            iconId={open ? 'fr-icon-arrow-down-s-line' : 'fr-icon-arrow-right-s-line'}
            priority="tertiary no outline"
            size="small"
            title={`${open ? 'Replier' : 'Déplier'} ${org.name} (${plural(kids.length, 'sous-organisation', 'sous-organisations')})`}
            nativeButtonProps={{ 'aria-expanded': open, ...(open ? { 'aria-controls': groupId } : {}) }}
            onClick={() => toggle(org.id)}
          />
        ) : (
          <span className="ca-tree__spacer" aria-hidden="true" />
        )}
        <Link href={`/organisations/${encodeURIComponent(org.id)}`}>{org.name}</Link>
        <Badge small noIcon as="span">
          {org.kindLabel}
        </Badge>
        {org.status === 'closed' && (
          <Badge small severity="info" as="span">
            Fermée
          </Badge>
        )}
        {org.trustedRolesSuspended && (
          <Badge small severity="error" as="span">
            Rôles de confiance suspendus
          </Badge>
        )}
      </div>
      {open && kids.length > 0 && (
        <ul id={groupId}>
          {shown.map((c) => (
            <TreeNode key={c.id} org={c} tree={tree} expanded={expanded} toggle={toggle} visible={visible} />
          ))}
          {kids.length > shown.length && (
            <li>
              <Button priority="tertiary" size="small" onClick={() => setLimit((l) => l + CHILDREN_PAGE * 5)}>
                {`Afficher les suivantes (${shown.length} sur ${kids.length} affichées)`}
              </Button>
            </li>
          )}
        </ul>
      )}
    </li>
  );
}

export function OrganizationsPage() {
  const headingRef = usePageTitle('Organisations');
  const orgs = useAsync(() => api.organizations(), []);
  const tree = useMemo(() => (orgs.data ? buildTree(orgs.data.items) : null), [orgs.data]);
  const [expanded, setExpanded] = useState<Set<string> | null>(null);
  const [filter, setFilter] = useState('');

  // Roots start expanded.
  const effectiveExpanded = expanded ?? new Set(tree?.roots.map((r) => r.id) ?? []);
  const visible = useMemo(() => (tree ? visibleForFilter(tree, filter) : null), [tree, filter]);

  const toggle = (id: string) => {
    const next = new Set(effectiveExpanded);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setExpanded(next);
  };

  const count = orgs.data?.items.length ?? 0;
  return (
    <>
      <h1 ref={headingRef} tabIndex={-1}>
        Organisations
      </h1>
      <ProblemAlert error={orgs.error} title="Impossible de charger les organisations" />
      {orgs.loading && !orgs.data && <Loading />}
      {tree && (
        <>
          <p>{plural(count, 'organisation dans votre périmètre', 'organisations dans votre périmètre')}.</p>
          <div className="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom fr-mb-2w">
            <div className="fr-col-12 fr-col-md-6">
              <Input
                label="Filtrer l’arborescence"
                hintText="Nom, code, code INSEE ou SIREN"
                nativeInputProps={{ type: 'search', value: filter, onChange: (e) => setFilter(e.target.value) }}
              />
            </div>
            {!visible && (
              <div className="fr-col-12 fr-col-md-6">
                <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
                  <li>
                    <Button
                      priority="secondary"
                      size="small"
                      onClick={() => setExpanded(new Set(tree.children.keys()))}
                    >
                      Tout déplier
                    </Button>
                  </li>
                  <li>
                    <Button priority="secondary" size="small" onClick={() => setExpanded(new Set())}>
                      Tout replier
                    </Button>
                  </li>
                </ul>
              </div>
            )}
          </div>
          <p className="fr-sr-only" role="status">
            {visible ? plural(visible.size, 'organisation affichée', 'organisations affichées') : ''}
          </p>
          {count === 0 ? (
            <p>Aucune organisation dans votre périmètre.</p>
          ) : visible && visible.size === 0 ? (
            <p>Aucune organisation ne correspond au filtre.</p>
          ) : (
            <ul className="ca-tree" aria-label="Arborescence des organisations">
              {tree.roots
                .filter((r) => !visible || visible.has(r.id))
                .map((r) => (
                  <TreeNode
                    key={r.id}
                    org={r}
                    tree={tree}
                    expanded={effectiveExpanded}
                    toggle={toggle}
                    visible={visible}
                  />
                ))}
            </ul>
          )}
        </>
      )}
    </>
  );
}
