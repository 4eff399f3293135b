import { Fragment } from 'react';
import { Link } from 'react-router';
import { useQuery } from '../../api/use-query';
import { useApi } from '../../app-context';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { breadcrumbs, fileProblemTitle, humanSize, nameBelow } from './file-paths';

const FILES_PER_PAGE = 100;

type Path = { project: string; connection: string };

interface FilesProps {
  path: Path;
  /** The folder listed ('' for the root), from the URL. */
  prefix: string;
  /** The page of the listing (the API's nextCursor), from the URL. */
  cursor: string;
  /** The file chosen, from the URL. */
  file: string;
  /** Where a link goes: the current URL's search with these changes. */
  linkTo: (changes: Record<string, string>) => string;
}

/** A folder of an S3 bucket or SFTP root: its path, its folders and files, each a link (deep links, back button). */
export function Files({ path, prefix, cursor, file, linkTo }: FilesProps) {
  const api = useApi();
  const listing = useQuery(`files:${path.project}:${path.connection}:${prefix}:${cursor}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/files', {
      params: { path, query: { prefix, delimiter: '/', cursor: cursor || undefined, limit: FILES_PER_PAGE } },
    }),
  );
  const crumbs = breadcrumbs(prefix);
  const open = (folder: string) => linkTo({ prefix: folder, cursor: '', file: '' });
  // A folder marker object (S3 "data/") is the folder itself, not a file in it.
  const objects = listing.data?.objects.filter((object) => object.key !== prefix) ?? [];
  const folders = listing.data?.commonPrefixes ?? [];
  return (
    <section aria-labelledby="files-title">
      <h2 id="files-title">Files</h2>
      <nav aria-label="Folder path">
        <ol className="crumbs">
          {crumbs.map((crumb, index) =>
            index === crumbs.length - 1 ? (
              <li key={crumb.prefix} aria-current="page">
                {crumb.label}
              </li>
            ) : (
              <li key={crumb.prefix}>
                <Link to={open(crumb.prefix)}>{crumb.label}</Link>
              </li>
            ),
          )}
        </ol>
      </nav>
      {listing.problem && <ProblemAlert problem={listing.problem} title={fileProblemTitle(listing.problem, 'folder')} />}
      {listing.loading && <p role="status">Loading…</p>}
      {listing.data && !folders.length && !objects.length && (
        <p className="muted">{cursor ? 'No more files here.' : 'This folder is empty.'}</p>
      )}
      <ul className="plain choices files" aria-label={`Contents of ${crumbs[crumbs.length - 1].label}`}>
        {folders.map((folder) => (
          <li key={folder} className="folder">
            <Link to={open(folder)}>{nameBelow(prefix, folder)}</Link>
          </li>
        ))}
        {objects.map((object) => (
          <li key={object.key}>
            <Link to={linkTo({ file: object.key })} aria-current={object.key === file ? 'true' : undefined}>
              {nameBelow(prefix, object.key)}
            </Link>
            <span className="muted"> {humanSize(object.size)}</span>
          </li>
        ))}
      </ul>
      {(cursor || listing.data?.nextCursor) && (
        <nav className="pager" aria-label="File pages">
          {cursor ? <Link to={linkTo({ cursor: '', file: '' })}>First files</Link> : <span />}
          {listing.data?.nextCursor && <Link to={linkTo({ cursor: listing.data.nextCursor, file: '' })}>Next files</Link>}
        </nav>
      )}
    </section>
  );
}

/** A file's columns as the API inferred them from its head (or Parquet footer), with the format it detected. */
export function FileSchemaView({ path, file }: { path: Path; file: string }) {
  const api = useApi();
  const schema = useQuery(`file-schema:${path.project}:${path.connection}:${file}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/file-schema', { params: { path, query: { path: file } } }),
  );
  const details = Object.entries(schema.data?.details ?? {});
  return (
    <section aria-labelledby="file-schema-title">
      <h2 id="file-schema-title" className="path">
        {file}
      </h2>
      {schema.loading && <p role="status">Reading the head of the file…</p>}
      {schema.problem && <ProblemAlert problem={schema.problem} title={fileProblemTitle(schema.problem, 'file')} />}
      {schema.data && (
        <>
          <dl className="details">
            <dt>Format</dt>
            <dd>
              <span className="badge">{schema.data.format}</span>
            </dd>
            {details.map(([key, value]) => (
              <Fragment key={key}>
                <dt>{key}</dt>
                <dd>
                  <code>{String(value)}</code>
                </dd>
              </Fragment>
            ))}
          </dl>
          <table className="grid compact">
            <caption className="visually-hidden">Columns of {file}</caption>
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Type</th>
                <th scope="col">Nullable</th>
              </tr>
            </thead>
            <tbody>
              {schema.data.columns.map((column, index) => (
                <tr key={`${column.name}-${index}`}>
                  <td>{column.name}</td>
                  <td>
                    <code>{column.type}</code>
                  </td>
                  <td>{column.nullable ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
