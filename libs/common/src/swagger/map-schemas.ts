/**
 * Schemas of the objects that map names to values (labels, secrets, fields). A bare
 * `type: object` says nothing of the values, so generated clients type it `Record<string, never>`
 * and every body needs a cast: spread one of these into @ApiProperty instead.
 */
export const STRING_MAP = { type: 'object' as const, additionalProperties: { type: 'string' } };
/** A merge patch or secrets update: null removes or clears the name. */
export const NULLABLE_STRING_MAP = { type: 'object' as const, additionalProperties: { type: ['string', 'null'] } };
/** Free-form settings checked elsewhere (a type's config schema). */
export const OBJECT_MAP = { type: 'object' as const, additionalProperties: true };
