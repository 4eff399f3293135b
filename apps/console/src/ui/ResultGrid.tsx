import type { ResultColumn } from '../api/types';

const cell = (value: unknown) =>
  value === null ? <span className="null">NULL</span> : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** Rows as the API sends them (arrays in column order), in a scrollable, keyboard-reachable grid. */
export function ResultGrid({ columns, rows, label }: { columns: ResultColumn[]; rows: unknown[][]; label: string }) {
  return (
    <div className="scroll" tabIndex={0} role="region" aria-label={label}>
      <table className="grid data">
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={`${column.name}-${index}`} scope="col">
                {column.name}
                <span className="muted"> {column.type}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, rowIndex) => (
            <tr key={rowIndex}>
              {row.map((value, index) => (
                <td key={index}>{cell(value)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
