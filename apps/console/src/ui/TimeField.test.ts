import { describe, expect, it } from 'vitest';
import { isoOf, localInputOf } from './TimeField';

describe('TimeField conversions', () => {
  it('shows an ISO instant as local time to the minute, and reads it back as the same instant', () => {
    const iso = '2026-12-06T09:30:00.000Z';
    const shown = localInputOf(iso);
    expect(shown).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(isoOf(shown)).toBe(iso);
  });

  it('leaves nothing for what is empty or not a time (a hand-edited URL), so the field stays usable', () => {
    expect(localInputOf('')).toBe('');
    expect(localInputOf('yesterday')).toBe('');
    expect(isoOf('')).toBe('');
    expect(isoOf('2026-13-45T99:99')).toBe('');
  });
});
