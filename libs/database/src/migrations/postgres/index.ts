import { Foundation1795340668196 } from './1795340668196-Foundation';

/** In order; each runs once, at start. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const POSTGRES_MIGRATIONS: Function[] = [Foundation1795340668196];
