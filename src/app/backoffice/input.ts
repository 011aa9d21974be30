import { freeText } from '../../domain/case-file.ts';
import { isIsoDate } from '../../domain/dates.ts';
import { invalid } from '../errors.ts';

// Field checks of the back office's inputs, refused with the field's name and a French reason.

export function text(field: string, value: unknown, max: number, opts: { required: true; multiline?: boolean }): string;
export function text(
  field: string,
  value: unknown,
  max: number,
  opts?: { required?: boolean; multiline?: boolean },
): string | null;
export function text(
  field: string,
  value: unknown,
  max: number,
  opts: { required?: boolean; multiline?: boolean } = {},
): string | null {
  const r = freeText(value, max, opts);
  if (!r.ok) throw invalid('Saisie invalide : vérifiez le champ signalé.', [{ field, reason: r.reason }]);
  return r.value;
}

export function isoDate(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isIsoDate(value))
    throw invalid('Date invalide.', [{ field, reason: 'Date attendue (AAAA-MM-JJ).' }]);
  return value;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
export function email(field: string, value: unknown): string | null {
  const v = text(field, value, 200);
  if (v && !EMAIL.test(v)) throw invalid('Adresse électronique invalide.', [{ field, reason: 'Adresse invalide.' }]);
  return v;
}
