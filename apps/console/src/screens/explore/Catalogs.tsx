import { useQuery } from '../../api/use-query';
import { useApi } from '../../app-context';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';

const CATALOGS_PER_PAGE = 50;

interface CatalogsProps {
  path: { project: string; connection: string };
  selected: string;
  page: number;
  onSelect: (name: string) => void;
  onPage: (page: number) => void;
}

/** The catalogs of a lakehouse connection (Unity Catalog's catalogs, an Iceberg warehouse): the level above schemas. */
export function Catalogs({ path, selected, page, onSelect, onPage }: CatalogsProps) {
  const api = useApi();
  const catalogs = useQuery(`catalogs:${path.project}:${path.connection}:${page}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/catalogs', {
      params: { path, query: { page, perPage: CATALOGS_PER_PAGE } },
    }),
  );
  const total = catalogs.data?.meta.total ?? 0;
  return (
    <section aria-labelledby="catalogs-title">
      <h2 id="catalogs-title">Catalogs</h2>
      {catalogs.problem && <ProblemAlert problem={catalogs.problem} />}
      {catalogs.loading && <p role="status">Loading…</p>}
      {catalogs.data && !total && <p className="muted">No catalog is visible to this connection.</p>}
      <ul className="plain choices">
        {catalogs.data?.data.map((catalog) => (
          <li key={catalog.name}>
            <button type="button" className="link" aria-pressed={catalog.name === selected} onClick={() => onSelect(catalog.name)}>
              {catalog.name}
            </button>
            {catalog.type && <span className="muted"> {catalog.type}</span>}
            {catalog.comment && <p className="help">{catalog.comment}</p>}
          </li>
        ))}
      </ul>
      {total > CATALOGS_PER_PAGE && (
        <Pager page={page} perPage={CATALOGS_PER_PAGE} total={total} noun={['catalog', 'catalogs']} onPage={onPage} />
      )}
    </section>
  );
}
