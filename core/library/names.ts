/**
 * A compound's display name at import: which of a record's fields holds it (a table's name column, an SDF
 * record's `name`-like data field), chosen once per distinct set of field names. The id column never reaches
 * here (a reader keeps it out of the record's fields), so it is never taken for the name.
 */
import { pickNameField } from '../ingest/detect.js';

/** Longest display name stored; longer values are cut (the full text stays a property of the record). */
export const MAX_NAME_CHARS = 500;

export class NameFields {
  private cache = new Map<string, string | null>();
  constructor(private named?: string) {}

  /** The field of a record's fields that holds its display name, or null. */
  field(props: Record<string, string>): string | null {
    const keys = Object.keys(props);
    const sig = keys.join('\u0000');
    let field = this.cache.get(sig);
    if (field === undefined) {
      field = pickNameField(keys, this.named);
      if (this.cache.size < 64) this.cache.set(sig, field);
    }
    return field;
  }

  /** The record's display name (trimmed), or null when it has no name field or the field is empty. */
  read(props: Record<string, string>): string | null {
    const field = this.field(props);
    if (field === null) return null;
    const v = (props[field] ?? '').trim();
    return v === '' ? null : v.slice(0, MAX_NAME_CHARS);
  }
}
