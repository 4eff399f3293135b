import type { CatalogInfo, SchemaInfo } from '@switchboard/connectors';
import { AppError, ErrorCode, notFound } from '@switchboard/common';

/** What one discover call lists at most, so a huge lakehouse cannot flood the answer. */
export interface DiscoverLimits {
  catalogs: number;
  /** Schemas in all, across every catalog listed. */
  schemas: number;
}

export const DEFAULT_DISCOVER_LIMITS: DiscoverLimits = { catalogs: 1_000, schemas: 10_000 };

export interface DiscoveredCatalog {
  name: string;
  schemas: string[];
  /** Why its schemas are not listed: the principal may not use it, or it went away meanwhile. */
  error?: { code: 'PERMISSION_DENIED' | 'NOT_FOUND'; message: string };
}

/**
 * A catalog's own refusal, which leaves the others listable: a lakehouse principal is often
 * granted some catalogs and not others. Anything else (unreachable, timeout) fails the call.
 */
function catalogRefusal(error: unknown): DiscoveredCatalog['error'] {
  if (!(error instanceof AppError)) return undefined;
  if (error.code === ErrorCode.NOT_FOUND) return { code: 'NOT_FOUND', message: error.detail };
  if (error.options.extensions?.targetCode === 'PERMISSION_DENIED') return { code: 'PERMISSION_DENIED', message: error.detail };
  return undefined;
}

export interface Discovery {
  catalogs: DiscoveredCatalog[];
  /** Catalogs or schemas were left out by the limits. */
  truncated: boolean;
}

/**
 * Every catalog (or only `only`, NOT_FOUND when absent) with its schema names, in the order the
 * target lists them, cut at the limits. Catalogs are walked one after another: one outbound slot.
 * A catalog that refuses its listing is reported with its error; the one named by `only` fails the call.
 */
export async function discoverCatalogs(
  catalogs: CatalogInfo[],
  only: string | undefined,
  listSchemas: (catalog: string) => Promise<SchemaInfo[]>,
  limits: DiscoverLimits,
): Promise<Discovery> {
  let chosen = catalogs;
  if (only !== undefined) {
    chosen = catalogs.filter((catalog) => catalog.name === only);
    if (chosen.length === 0) throw notFound(`Catalog "${only}"`);
  }
  let truncated = chosen.length > limits.catalogs;
  let room = limits.schemas;
  const discovered: DiscoveredCatalog[] = [];
  for (const catalog of chosen.slice(0, limits.catalogs)) {
    if (room === 0) {
      truncated = true;
      discovered.push({ name: catalog.name, schemas: [] });
      continue;
    }
    let schemas: string[];
    try {
      schemas = (await listSchemas(catalog.name)).map((schema) => schema.name);
    } catch (error) {
      const refusal = only === undefined ? catalogRefusal(error) : undefined;
      if (!refusal) throw error;
      discovered.push({ name: catalog.name, schemas: [], error: refusal });
      continue;
    }
    if (schemas.length > room) truncated = true;
    const kept = schemas.slice(0, room);
    room -= kept.length;
    discovered.push({ name: catalog.name, schemas: kept });
  }
  return { catalogs: discovered, truncated };
}
