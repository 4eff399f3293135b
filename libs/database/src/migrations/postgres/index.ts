import { Foundation1795339854523 } from './1795339854523-Foundation';

/** In order; each runs once, at start. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const POSTGRES_MIGRATIONS: Function[] = [Foundation1795339854523];
