import type { ConnectionType } from '../api/types';

/** The connection types as a select's options, by label. */
export function TypeOptions({ types }: { types: ConnectionType[] | undefined }) {
  return (
    <>
      {types?.map((item) => (
        <option key={item.type} value={item.type}>
          {item.label}
        </option>
      ))}
    </>
  );
}
