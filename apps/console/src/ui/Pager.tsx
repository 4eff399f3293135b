interface Props {
  page: number;
  perPage: number;
  total: number;
  /** What is counted: [one, many]. */
  noun: [string, string];
  onPage: (page: number) => void;
}

/** Previous / next, and where the list stands ("Page 2 of 3 · 57 events"). */
export function Pager({ page, perPage, total, noun, onPage }: Props) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous page
      </button>
      <span>
        Page {page} of {pages} · {total} {total === 1 ? noun[0] : noun[1]}
      </span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next page
      </button>
    </nav>
  );
}
