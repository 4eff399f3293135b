import { isDeepStrictEqual } from 'node:util';
import type { ConnectionTypeDefinition, TransportView } from './connection-type';

/** How a change sends secrets somewhere new: location fields changed, transport settings weakened (names). */
export interface Elsewhere {
  moved: string[];
  weakened: string[];
}

/**
 * The one check behind both "points elsewhere" rules (a kept inline secret, a shared
 * credential used without secrets:reveal): where `before` sent its secrets and where `after`
 * would. A weaker transport to the same place counts: whoever is on the path then reads them.
 */
export function pointsElsewhere(definition: ConnectionTypeDefinition, before: TransportView, after: TransportView): Elsewhere {
  return {
    moved: definition.locationFields.filter((field) => !isDeepStrictEqual(before.config[field], after.config[field])),
    weakened: definition.transportSecurity.filter((setting) => setting.weakens(before, after)).map((setting) => setting.name),
  };
}

/** No location field changed and no transport setting weakened. */
export const samePlace = (elsewhere: Elsewhere): boolean => elsewhere.moved.length === 0 && elsewhere.weakened.length === 0;

/**
 * Secrets some type checks server certificates against (tlsCa). On a shared credential,
 * changing one changes which servers every connection using it trusts.
 */
export const trustAnchorSecrets = (definitions: readonly ConnectionTypeDefinition[]): string[] => [
  ...new Set(
    definitions.flatMap((definition) =>
      definition.transportSecurity.filter((setting) => setting.source === 'secret').map((setting) => setting.name),
    ),
  ),
];
