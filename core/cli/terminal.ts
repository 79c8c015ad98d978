/**
 * Text from input files (names, SMILES, property values, RDKit messages) reaches the terminal in
 * `strata query|report|info|import`. A record may carry escape sequences that clear the screen,
 * retitle the window, rewrite earlier lines or hide text (ESC, CSI, OSC, CR, backspace, bidi
 * overrides). The CLI therefore shows every control character as a visible escape (`\x1B`,
 * `\u202E`) instead of sending it; tab and newline, which the CLI's own layout uses, stay.
 */

// C0 except tab and newline, DEL, C1 (0x9B is a one-byte CSI on some terminals), and the Unicode
// bidi embedding/override/isolate controls that reorder what is shown.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same minus C0 (JSON.stringify already escapes C0 inside strings).
const UNSAFE_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).toUpperCase().padStart(width, '0');

/** Human-readable text with every control character made visible. */
export function safeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/**
 * JSON for the terminal: still valid JSON with the same values (the characters become `\uXXXX`
 * escapes inside strings), but nothing a terminal would act on.
 */
export function safeJson(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}
