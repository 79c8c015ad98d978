/**
 * Subgroup rules: boolean expressions over genotype features, tissue and MSI status, e.g.
 *
 *   BRAF_mut AND tissue=skin
 *   KRAS_mut AND NOT TP53_mut
 *   (gain_cnaPANCAN164_(KRAS) OR KRAS_mut) && msi != MSI-H
 *
 * Grammar (precedence NOT > AND > OR; keywords case-insensitive):
 *
 *   rule    := or
 *   or      := and (('OR' | '||') and)*
 *   and     := unary (('AND' | '&&') unary)*
 *   unary   := ('NOT' | '!') unary | primary
 *   primary := '(' or ')' | field ('=' | '==' | '!=') value | feature
 *   field   := 'tissue' | 'msi'
 *   value   := word | quoted
 *   feature := word | quoted
 *
 * A word is letters, digits, `_`, `-`, `.`; a word ending in `_` directly followed by `(` runs to the
 * next `)`, so copy-number features such as `loss_cnaPANCAN144_(BNC2,CDKN2A,JAK2,PSIP1)` need no
 * quotes. Anything else (spaces, commas outside such a list) is quoted with backticks, double or
 * single quotes: `loss_cnaPANCAN38, loss_cnaPANCAN39`.
 *
 * Name resolution, in order: exact feature name; case-insensitive name; copy-number segment id
 * (`gain_cnaPANCAN1` for `gain_cnaPANCAN1_(CCNE1)`). A bare gene symbol (`BRAF`) is deliberately NOT
 * accepted — it is ambiguous between a mutation and copy-number segments carrying that gene — and is
 * answered with an error suggesting the features that name the gene ("did you mean BRAF_mut?").
 * Tissue values match the panel's TISSUE_FACTOR labels case-insensitively. MSI values: MSI-H, MSI-L,
 * MSI-S (alias MSS), non-MSI-H (GDSC's binary factor 0: stable or low), unknown.
 *
 * Every error is an `ApiError('BAD_RULE')` whose message names the column and what was expected,
 * and whose details carry position, suggestions and the allowed values.
 */
import type { GenotypeCatalogue } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { segmentIds, UNKNOWN_LABEL } from './catalogue.js';
import { canonicalMsi } from './panel.js';
import type { GenotypePanel } from './panel.js';

export type RuleNode =
  | { type: 'feature'; name: string }
  | { type: 'tissue'; value: string }
  | { type: 'msi'; value: string }
  | { type: 'not'; arg: RuleNode }
  | { type: 'and'; args: RuleNode[] }
  | { type: 'or'; args: RuleNode[] };

export interface RuleErrorDetails {
  rule: string;
  /** 0-based character offset of the offending token. */
  position: number;
  /** 1-based column (position + 1), as used in the message. */
  column: number;
  /** Length of the offending token (0 at the end of the rule). */
  length: number;
  /** What the parser could accept here. */
  expected: string[];
  /** The offending text, or "end of rule". */
  found: string;
  /** Closest valid names, best first. */
  suggestions: string[];
  /** For an unknown tissue / MSI value: every allowed value. */
  allowed?: string[];
}

/** Longest rule accepted; the API schema allows 10,000 characters too. */
export const MAX_RULE_LENGTH = 10_000;
/** Deepest nesting of parentheses / NOTs, so a hostile rule cannot exhaust the stack. */
export const MAX_RULE_DEPTH = 200;

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

type TokenType = 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'eq' | 'neq' | 'word' | 'quoted' | 'eof';
interface Token {
  type: TokenType;
  text: string;
  /** Unquoted value for words and quoted names. */
  value: string;
  pos: number;
}

const WORD_CHAR = /[A-Za-z0-9_.-]/;
const PLAIN_WORD = /^[A-Za-z0-9_.-]+$/;
const CNA_WORD = /^[A-Za-z0-9_.-]*_\([A-Za-z0-9_.,-]*\)$/;

function ruleError(rule: string, pos: number, length: number, message: string, extra: Partial<RuleErrorDetails> = {}): ApiError {
  const found = extra.found ?? (pos >= rule.length ? 'end of rule' : rule.slice(pos, pos + Math.max(length, 1)));
  const details: RuleErrorDetails = {
    rule,
    position: pos,
    column: pos + 1,
    length,
    expected: extra.expected ?? [],
    found,
    suggestions: extra.suggestions ?? [],
    ...(extra.allowed ? { allowed: extra.allowed } : {}),
  };
  return new ApiError('BAD_RULE', message, details);
}

function describe(tok: Token): string {
  return tok.type === 'eof' ? 'end of rule' : `'${tok.text}'`;
}

function tokenize(rule: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = rule.length;
  while (i < n) {
    const ch = rule[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')') {
      out.push({ type: ch === '(' ? 'lparen' : 'rparen', text: ch, value: ch, pos: i });
      i++;
    } else if (rule.startsWith('&&', i)) {
      out.push({ type: 'and', text: '&&', value: '&&', pos: i });
      i += 2;
    } else if (rule.startsWith('||', i)) {
      out.push({ type: 'or', text: '||', value: '||', pos: i });
      i += 2;
    } else if (rule.startsWith('!=', i)) {
      out.push({ type: 'neq', text: '!=', value: '!=', pos: i });
      i += 2;
    } else if (ch === '!') {
      out.push({ type: 'not', text: '!', value: '!', pos: i });
      i++;
    } else if (rule.startsWith('==', i)) {
      out.push({ type: 'eq', text: '==', value: '==', pos: i });
      i += 2;
    } else if (ch === '=') {
      out.push({ type: 'eq', text: '=', value: '=', pos: i });
      i++;
    } else if (ch === '`' || ch === '"' || ch === "'") {
      const close = rule.indexOf(ch, i + 1);
      if (close < 0) throw ruleError(rule, i, n - i, `Unterminated quote: the ${ch} at column ${i + 1} is never closed.`, { expected: [`closing ${ch}`], found: 'end of rule' });
      const value = rule.slice(i + 1, close);
      if (value.trim() === '') throw ruleError(rule, i, close + 1 - i, `Empty quoted name at column ${i + 1}.`, { expected: ['a feature name or value inside the quotes'] });
      out.push({ type: 'quoted', text: rule.slice(i, close + 1), value, pos: i });
      i = close + 1;
    } else if (WORD_CHAR.test(ch)) {
      while (i < n && WORD_CHAR.test(rule[i])) i++;
      // Copy-number names carry their gene list in parentheses right after a trailing underscore.
      if (rule[i] === '(' && rule[i - 1] === '_') {
        const close = rule.indexOf(')', i);
        if (close < 0) throw ruleError(rule, i, n - i, `Unclosed gene list: the '(' at column ${i + 1} after ${rule.slice(start, i)} is never closed.`, { expected: [`')'`], found: 'end of rule' });
        i = close + 1;
      }
      const text = rule.slice(start, i);
      const lower = text.toLowerCase();
      const type: TokenType = lower === 'and' ? 'and' : lower === 'or' ? 'or' : lower === 'not' ? 'not' : 'word';
      out.push({ type, text, value: text, pos: start });
    } else {
      const hint = ch === '&' ? " (write AND or &&)" : ch === '|' ? ' (write OR or ||)' : ch === ',' ? ' (quote names that contain commas with backticks)' : '';
      throw ruleError(rule, i, 1, `Unexpected character '${ch}' at column ${i + 1}${hint}.`, { expected: ['a feature, tissue=…, msi=…, AND, OR, NOT, ( or )'] });
    }
  }
  out.push({ type: 'eof', text: '', value: '', pos: n });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Name resolution against a catalogue
// ---------------------------------------------------------------------------------------------

interface CatalogueIndex {
  names: Set<string>;
  byLower: Map<string, string[]>;
  bySegment: Map<string, string[]>;
  byGene: Map<string, string[]>;
  tissues: Map<string, string>;
  tissueNames: string[];
  msiNames: string[];
  lowerNames: string[];
}

const indexCache = new WeakMap<GenotypeCatalogue, CatalogueIndex>();

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

function indexOf(cat: GenotypeCatalogue): CatalogueIndex {
  const hit = indexCache.get(cat);
  if (hit) return hit;
  const idx: CatalogueIndex = {
    names: new Set(),
    byLower: new Map(),
    bySegment: new Map(),
    byGene: new Map(),
    tissues: new Map(),
    tissueNames: cat.tissues.map((t) => t.name),
    msiNames: cat.msi.map((m) => m.name),
    lowerNames: [],
  };
  // Mutations first so "did you mean" lists BRAF_mut before copy-number segments carrying BRAF.
  const ordered = [...cat.features].sort((a, b) => (a.kind === 'mutation' ? 0 : 1) - (b.kind === 'mutation' ? 0 : 1));
  for (const f of ordered) {
    idx.names.add(f.name);
    push(idx.byLower, f.name.toLowerCase(), f.name);
    for (const seg of segmentIds(f.name)) push(idx.bySegment, seg.toLowerCase(), f.name);
    for (const g of f.genes) push(idx.byGene, g.toLowerCase(), f.name);
  }
  idx.lowerNames = [...idx.names].map((n) => n.toLowerCase());
  for (const t of cat.tissues) idx.tissues.set(t.name.toLowerCase(), t.name);
  indexCache.set(cat, idx);
  return idx;
}

/** Levenshtein distance, with an early exit once every cell in a row exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** Up to `limit` candidates closest to `word` (case-insensitive), within a length-scaled distance. */
export function closest(word: string, candidates: readonly string[], limit = 3): string[] {
  const w = word.toLowerCase();
  const max = Math.max(2, Math.floor(w.length / 4));
  const scored: { c: string; d: number }[] = [];
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase(), max);
    if (d <= max) scored.push({ c, d });
  }
  scored.sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  return scored.slice(0, limit).map((s) => s.c);
}

function featureSuggestions(word: string, idx: CatalogueIndex): { geneHits: string[]; suggestions: string[] } {
  const geneHits: string[] = [];
  // Whole word as a gene (BRAF), or a gene inside a made-up name (CDKN2A_loss, KRAS-mut).
  const parts = [word, ...word.split(/[_\-.]/)];
  for (const p of parts) {
    for (const f of idx.byGene.get(p.toLowerCase()) ?? []) if (!geneHits.includes(f)) geneHits.push(f);
  }
  // A made-up name that says what kind it wants (CDKN2A_loss, MYC_amp) lists that kind first.
  const wants = /(^|[_\-.])(loss|del|deletion)([_\-.]|$)/i.test(word) ? 'loss_' : /(^|[_\-.])(gain|amp|amplification)([_\-.]|$)/i.test(word) ? 'gain_' : null;
  if (wants) geneHits.sort((a, b) => (b.startsWith(wants) ? 1 : 0) - (a.startsWith(wants) ? 1 : 0));
  const near = closest(word, [...idx.names]);
  const suggestions = [...geneHits.slice(0, 5)];
  for (const f of near) if (!suggestions.includes(f) && suggestions.length < 6) suggestions.push(f);
  return { geneHits, suggestions };
}

function resolveFeature(rule: string, tok: Token, idx: CatalogueIndex): string {
  const v = tok.value.trim();
  if (idx.names.has(v)) return v;
  const lower = v.toLowerCase();
  const ci = idx.byLower.get(lower);
  if (ci && ci.length === 1) return ci[0];
  const seg = idx.bySegment.get(lower);
  if (seg && seg.length === 1) return seg[0];
  const ambiguous = ci && ci.length > 1 ? ci : seg && seg.length > 1 ? seg : null;
  if (ambiguous) {
    throw ruleError(rule, tok.pos, tok.text.length, `'${v}' at column ${tok.pos + 1} is ambiguous: it could be ${ambiguous.join(' or ')}. Write the full feature name.`, {
      expected: ['a feature name'],
      suggestions: ambiguous,
    });
  }
  const isGene = idx.byGene.has(lower);
  const { suggestions } = featureSuggestions(v, idx);
  const mean = suggestions.length > 0 ? ` Did you mean ${suggestions.slice(0, 3).join(', ')}?` : '';
  if (isGene) {
    throw ruleError(rule, tok.pos, tok.text.length, `'${v}' at column ${tok.pos + 1} is a gene, not a feature: name the feature (a mutation ends in _mut; copy-number features start with gain_/loss_).${mean}`, {
      expected: ['a feature name such as BRAF_mut'],
      suggestions,
    });
  }
  const field = lower === 'tissue' || lower === 'msi' ? ` To select by ${lower}, write ${lower}=value.` : '';
  throw ruleError(rule, tok.pos, tok.text.length, `Unknown feature '${v}' at column ${tok.pos + 1}.${mean}${field}`, {
    expected: ['a feature name from the genotype catalogue'],
    suggestions,
  });
}

function resolveTissue(rule: string, tok: Token, idx: CatalogueIndex): string {
  const v = tok.value.trim();
  if (idx.tissueNames.length === 0) {
    throw ruleError(rule, tok.pos, tok.text.length, `This genotype panel has no tissue information, so tissue=… cannot be used.`, { expected: [] });
  }
  const hit = idx.tissues.get(v.toLowerCase());
  if (hit) return hit;
  const suggestions = closest(v, idx.tissueNames);
  const mean = suggestions.length > 0 ? ` Did you mean ${suggestions.join(', ')}?` : '';
  throw ruleError(rule, tok.pos, tok.text.length, `Unknown tissue '${v}' at column ${tok.pos + 1}.${mean} Tissues: ${idx.tissueNames.join(', ')}.`, {
    expected: ['a tissue from the catalogue'],
    suggestions,
    allowed: idx.tissueNames,
  });
}

/** MSI labels a rule may name even if the reference panel has no sample with them. */
const MSI_LABELS = ['MSI-H', 'MSI-L', 'MSI-S', 'non-MSI-H', UNKNOWN_LABEL];

function resolveMsi(rule: string, tok: Token, idx: CatalogueIndex): string {
  const v = tok.value.trim();
  if (idx.msiNames.length === 0) {
    throw ruleError(rule, tok.pos, tok.text.length, `This genotype panel has no MSI information, so msi=… cannot be used.`, { expected: [] });
  }
  const label = canonicalMsi(v);
  const allowed = [...new Set([...idx.msiNames, ...MSI_LABELS])];
  if (allowed.includes(label)) return label;
  const suggestions = closest(v, allowed);
  const mean = suggestions.length > 0 ? ` Did you mean ${suggestions.join(', ')}?` : '';
  throw ruleError(rule, tok.pos, tok.text.length, `Unknown MSI status '${v}' at column ${tok.pos + 1}.${mean} Allowed: ${allowed.join(', ')} (MSS is accepted for MSI-S).`, {
    expected: ['an MSI status'],
    suggestions,
    allowed,
  });
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

const OPERAND = ['a feature (e.g. BRAF_mut)', 'tissue=…', 'msi=…', 'NOT', "'('"];

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly rule: string,
    private readonly toks: Token[],
    private readonly idx: CatalogueIndex,
  ) {}

  private peek(): Token {
    return this.toks[this.i];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private fail(tok: Token, message: string, expected: string[], suggestions: string[] = []): never {
    throw ruleError(this.rule, tok.pos, tok.text.length, message, { expected, suggestions, found: tok.type === 'eof' ? 'end of rule' : tok.text });
  }

  parseRule(): RuleNode {
    const node = this.parseOr();
    const tok = this.peek();
    if (tok.type !== 'eof') {
      if (tok.type === 'rparen') this.fail(tok, `Unexpected ')' at column ${tok.pos + 1}: there is no '(' to close.`, ['AND', 'OR', 'end of rule']);
      if (tok.type === 'eq' || tok.type === 'neq') this.fail(tok, `Unexpected '${tok.text}' at column ${tok.pos + 1}: only tissue and msi take a value (tissue=skin, msi=MSI-H).`, ['AND', 'OR', 'end of rule']);
      this.fail(tok, `Expected AND or OR before ${describe(tok)} at column ${tok.pos + 1}: conditions must be joined explicitly.`, ['AND', 'OR', 'end of rule'], ['AND', 'OR']);
    }
    return node;
  }

  private enter(tok: Token): void {
    if (++this.depth > MAX_RULE_DEPTH) this.fail(tok, `Rule nests deeper than ${MAX_RULE_DEPTH} levels at column ${tok.pos + 1}.`, []);
  }

  private parseOr(): RuleNode {
    const args = [this.parseAnd()];
    while (this.peek().type === 'or') {
      this.next();
      args.push(this.parseAnd());
    }
    return args.length === 1 ? args[0] : { type: 'or', args: args.flatMap((a) => (a.type === 'or' ? a.args : [a])) };
  }

  private parseAnd(): RuleNode {
    const args = [this.parseUnary()];
    while (this.peek().type === 'and') {
      this.next();
      args.push(this.parseUnary());
    }
    return args.length === 1 ? args[0] : { type: 'and', args: args.flatMap((a) => (a.type === 'and' ? a.args : [a])) };
  }

  private parseUnary(): RuleNode {
    const tok = this.peek();
    if (tok.type === 'not') {
      this.next();
      this.enter(tok);
      const arg = this.parseUnary();
      this.depth--;
      return { type: 'not', arg };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): RuleNode {
    const tok = this.next();
    const prev = this.i >= 2 ? this.toks[this.i - 2] : null;
    const after = prev ? ` after '${prev.text}'` : '';
    switch (tok.type) {
      case 'lparen': {
        this.enter(tok);
        if (this.peek().type === 'rparen') this.fail(this.peek(), `Empty parentheses at column ${tok.pos + 1}.`, OPERAND);
        const inner = this.parseOr();
        const close = this.peek();
        if (close.type !== 'rparen') {
          this.fail(close, `Expected ')' to close the '(' at column ${tok.pos + 1}, found ${describe(close)} at column ${close.pos + 1}.`, ["')'", 'AND', 'OR']);
        }
        this.next();
        this.depth--;
        return inner;
      }
      case 'word':
      case 'quoted': {
        const lower = tok.value.trim().toLowerCase();
        const op = this.peek();
        if (tok.type === 'word' && (lower === 'tissue' || lower === 'msi')) {
          if (op.type !== 'eq' && op.type !== 'neq') {
            this.fail(op, `Expected '=' or '!=' after '${tok.text}' at column ${op.pos + 1}, as in ${lower === 'tissue' ? 'tissue=skin' : 'msi=MSI-H'}.`, ["'='", "'!='"]);
          }
          this.next();
          const val = this.next();
          if (val.type !== 'word' && val.type !== 'quoted') {
            const allowed = lower === 'tissue' ? this.idx.tissueNames : [...new Set([...this.idx.msiNames, ...MSI_LABELS])];
            throw ruleError(this.rule, val.pos, val.text.length, `Expected a ${lower} value after '${tok.text}${op.text}' at column ${val.pos + 1}, found ${describe(val)}.`, {
              expected: [`a ${lower} value`],
              allowed,
              found: val.type === 'eof' ? 'end of rule' : val.text,
            });
          }
          const node: RuleNode = lower === 'tissue' ? { type: 'tissue', value: resolveTissue(this.rule, val, this.idx) } : { type: 'msi', value: resolveMsi(this.rule, val, this.idx) };
          return op.type === 'neq' ? { type: 'not', arg: node } : node;
        }
        if (op.type === 'eq' || op.type === 'neq') {
          this.fail(op, `Unexpected '${op.text}' at column ${op.pos + 1}: only tissue and msi take a value (a feature stands alone: ${tok.text} or NOT ${tok.text}).`, ['AND', 'OR', 'end of rule']);
        }
        return { type: 'feature', name: resolveFeature(this.rule, tok, this.idx) };
      }
      case 'eof':
        if (!prev) this.fail(tok, 'Empty rule: write a condition such as BRAF_mut AND tissue=skin.', OPERAND);
        return this.fail(tok, `Expected a condition${after} at column ${tok.pos + 1}, found end of rule.`, OPERAND);
      case 'and':
      case 'or':
        return this.fail(tok, `Expected a condition before '${tok.text}' at column ${tok.pos + 1}: ${tok.text} needs a condition on both sides.`, OPERAND);
      case 'rparen':
        return this.fail(tok, `Expected a condition${after} at column ${tok.pos + 1}, found ')'.`, OPERAND);
      default:
        return this.fail(tok, `Expected a condition${after} at column ${tok.pos + 1}, found ${describe(tok)}.`, OPERAND);
    }
  }
}

/** Parse a rule against a catalogue (names are resolved to the catalogue's spelling). */
export function parseRule(text: string, catalogue: GenotypeCatalogue): RuleNode {
  if (text.length > MAX_RULE_LENGTH) throw ruleError(text.slice(0, 200), 0, 0, `Rule is longer than ${MAX_RULE_LENGTH} characters.`);
  const toks = tokenize(text);
  return new Parser(text, toks, indexOf(catalogue)).parseRule();
}

// ---------------------------------------------------------------------------------------------
// Normalised text
// ---------------------------------------------------------------------------------------------

function featureText(name: string): string {
  if ((PLAIN_WORD.test(name) || CNA_WORD.test(name)) && !/^(and|or|not|tissue|msi)$/i.test(name)) return name;
  return '`' + name + '`';
}

function valueText(value: string): string {
  if (PLAIN_WORD.test(value) && !/^(and|or|not)$/i.test(value)) return value;
  return value.includes('"') ? '`' + value + '`' : `"${value}"`;
}

/**
 * Canonical text of a rule: upper-case keywords, catalogue spelling, single spaces, and only the
 * parentheses the precedence needs. Operand order is kept (it is the user's). Parsing the
 * normalised text gives back the same tree.
 */
export function normaliseRule(node: RuleNode): string {
  switch (node.type) {
    case 'feature':
      return featureText(node.name);
    case 'tissue':
      return `tissue=${valueText(node.value)}`;
    case 'msi':
      return `msi=${valueText(node.value)}`;
    case 'not': {
      const inner = normaliseRule(node.arg);
      return node.arg.type === 'and' || node.arg.type === 'or' ? `NOT (${inner})` : `NOT ${inner}`;
    }
    case 'and':
      return node.args.map((a) => (a.type === 'or' ? `(${normaliseRule(a)})` : normaliseRule(a))).join(' AND ');
    case 'or':
      return node.args.map((a) => normaliseRule(a)).join(' OR ');
  }
}

/** Features, tissues and MSI values a rule refers to. */
export function ruleReferences(node: RuleNode): { features: string[]; tissues: string[]; msi: string[] } {
  const out = { features: new Set<string>(), tissues: new Set<string>(), msi: new Set<string>() };
  const walk = (n: RuleNode): void => {
    if (n.type === 'feature') out.features.add(n.name);
    else if (n.type === 'tissue') out.tissues.add(n.value);
    else if (n.type === 'msi') out.msi.add(n.value);
    else if (n.type === 'not') walk(n.arg);
    else n.args.forEach(walk);
  };
  walk(node);
  return { features: [...out.features], tissues: [...out.tissues], msi: [...out.msi] };
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

function msiMatches(label: string, wanted: string): boolean {
  if (label === wanted) return true;
  // Known to be not MSI-H: a binary panel's 0 and the reference's MSI-S / MSI-L.
  return wanted === 'non-MSI-H' && (label === 'MSI-S' || label === 'MSI-L');
}

/**
 * Membership of every panel sample (1 = in the subgroup). Features the panel lacks (listed in
 * `panel.missing`) evaluate as 0, as the panel stores them; a feature not in `panel.features` at
 * all, or tissue/MSI on a panel without those columns, is an error.
 */
export function evaluateRule(node: RuleNode, panel: GenotypePanel): Uint8Array {
  const nS = panel.samples.length;
  const nF = panel.features.length;
  let featureIndex: Map<string, number> | null = null;
  const evalNode = (n: RuleNode): Uint8Array => {
    const out = new Uint8Array(nS);
    switch (n.type) {
      case 'feature': {
        featureIndex ??= new Map(panel.features.map((f, i) => [f, i]));
        const f = featureIndex.get(n.name);
        if (f === undefined) throw new ApiError('BAD_RULE', `Feature ${n.name} is not in genotype panel ${panel.name}.`, { feature: n.name, panel: panel.name });
        for (let s = 0; s < nS; s++) out[s] = panel.matrix[s * nF + f];
        return out;
      }
      case 'tissue': {
        if (!panel.hasTissue) throw new ApiError('BAD_RULE', `Genotype panel ${panel.name} has no tissue column, so tissue=${n.value} cannot be evaluated.`, { panel: panel.name });
        const want = n.value.toLowerCase();
        for (let s = 0; s < nS; s++) out[s] = panel.tissue[s].toLowerCase() === want ? 1 : 0;
        return out;
      }
      case 'msi': {
        if (!panel.hasMsi) throw new ApiError('BAD_RULE', `Genotype panel ${panel.name} has no MSI column, so msi=${n.value} cannot be evaluated.`, { panel: panel.name });
        for (let s = 0; s < nS; s++) out[s] = msiMatches(panel.msi[s], n.value) ? 1 : 0;
        return out;
      }
      case 'not': {
        const a = evalNode(n.arg);
        for (let s = 0; s < nS; s++) out[s] = a[s] ^ 1;
        return out;
      }
      case 'and': {
        out.fill(1);
        for (const arg of n.args) {
          const a = evalNode(arg);
          for (let s = 0; s < nS; s++) out[s] &= a[s];
        }
        return out;
      }
      case 'or': {
        for (const arg of n.args) {
          const a = evalNode(arg);
          for (let s = 0; s < nS; s++) out[s] |= a[s];
        }
        return out;
      }
    }
  };
  return evalNode(node);
}

/** Number of 1s in a membership mask. */
export function countMembers(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}
