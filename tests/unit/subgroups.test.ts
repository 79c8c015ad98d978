/**
 * Genotype catalogue, panels, subgroup rules and previews — checked against counts computed here,
 * independently, from the public GDSC files in ../shared/data (not from the shipped copy).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { ApiError } from '../../core/api/errors.js';
import {
  buildCatalogue,
  canonicalMsi,
  closest,
  countMembers,
  csvRecords,
  editDistance,
  evaluateRule,
  featureGenes,
  featureKind,
  loadLabPanel,
  loadReferencePanel,
  MIN_SUBGROUP_MEMBERS,
  normaliseRule,
  parsePanelCsv,
  parseRule,
  previewSubgroup,
  readPanelFile,
  referenceCatalogue,
  resolveSubgroup,
  ruleReferences,
} from '../../core/subgroups/index.js';
import type { GenotypePanel, RuleErrorDetails, RuleNode } from '../../core/subgroups/index.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data/gdsc_v17');

// --- independent reading of the public files ---------------------------------------------------
type Row = Record<string, string>;
const rawFeatures = parse(readFileSync(path.join(DATA, 'genomic_features.csv'), 'utf8'), { columns: true }) as Row[];
const rawHeader = (parse(readFileSync(path.join(DATA, 'genomic_features.csv'), 'utf8'), { to_line: 1 }) as string[][])[0];
const rawCellLines = parse(readFileSync(path.join(DATA, 'cell_lines.csv'), 'utf8'), { columns: true }) as Row[];
const rawMsi = new Map(rawCellLines.map((r) => [r.COSMIC_ID, r.msi_status]));

const catalogue = referenceCatalogue();
const panel = loadReferencePanel();

/** Membership from the raw rows with a plain predicate, in file order. */
function rawMask(pred: (r: Row) => boolean): Uint8Array {
  return Uint8Array.from(rawFeatures, (r) => (pred(r) ? 1 : 0));
}

function ruleError(fn: () => unknown): RuleErrorDetails & { message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, 'BAD_RULE');
    return { ...(err.details as RuleErrorDetails), message: err.message };
  }
  assert.fail('expected the rule to be rejected');
}

function fileError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the panel to be rejected');
}

/** Deterministic PRNG (mulberry32) for property tests. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------------------

describe('reference panel and catalogue', () => {
  test('panel has every cell line and feature of the public file, in file order', () => {
    assert.equal(panel.samples.length, rawFeatures.length);
    assert.deepEqual(panel.samples, rawFeatures.map((r) => r.COSMIC_ID));
    assert.deepEqual(panel.features, rawHeader.slice(3));
    assert.equal(panel.features.length, 677);
    assert.deepEqual(panel.missing, []);
    assert.deepEqual(panel.warnings, []);
    // Spot-check the matrix against the raw values, every 7th cell.
    const nF = panel.features.length;
    for (let s = 0; s < panel.samples.length; s += 13) {
      for (let f = 0; f < nF; f += 7) assert.equal(panel.matrix[s * nF + f], Number(rawFeatures[s][panel.features[f]]), `${panel.samples[s]} ${panel.features[f]}`);
    }
  });

  test('catalogue counts, kinds and genes match the raw file', () => {
    assert.equal(catalogue.cellLines, rawFeatures.length);
    assert.equal(catalogue.features.length, 677);
    const kinds = { mutation: 0, cna_gain: 0, cna_loss: 0 };
    for (const f of catalogue.features) {
      kinds[f.kind]++;
      const count = rawFeatures.filter((r) => r[f.name] === '1').length;
      assert.equal(f.count, count, f.name);
      assert.ok(Math.abs(f.prevalence - count / rawFeatures.length) < 1e-12);
    }
    assert.deepEqual(kinds, { mutation: 270, cna_gain: rawHeader.filter((h) => h.startsWith('gain_')).length, cna_loss: rawHeader.filter((h) => h.startsWith('loss_')).length });
    assert.equal(kinds.cna_gain + kinds.cna_loss, 407);
    const cdkn2a = catalogue.features.find((f) => f.name === 'loss_cnaPANCAN144_(BNC2,CDKN2A,JAK2,PSIP1)');
    assert.deepEqual(cdkn2a?.genes, ['BNC2', 'CDKN2A', 'JAK2', 'PSIP1']);
    assert.deepEqual(catalogue.features.find((f) => f.name === 'BRAF_mut')?.genes, ['BRAF']);
    assert.deepEqual(catalogue.features.find((f) => f.name === 'loss_cnaPANCAN38, loss_cnaPANCAN39')?.genes, []);
  });

  test('tissue and MSI counts match the raw files', () => {
    const tissues = new Map<string, number>();
    for (const r of rawFeatures) tissues.set(r.TISSUE_FACTOR, (tissues.get(r.TISSUE_FACTOR) ?? 0) + 1);
    assert.deepEqual(new Map(catalogue.tissues.map((t) => [t.name, t.count])), tissues);
    const msi = new Map<string, number>();
    for (const r of rawFeatures) {
      const s = rawMsi.get(r.COSMIC_ID) || 'unknown';
      msi.set(s, (msi.get(s) ?? 0) + 1);
    }
    assert.deepEqual(new Map(catalogue.msi.map((m) => [m.name, m.count])), msi);
    // The binary factor and the annotation agree on MSI-H.
    assert.equal(catalogue.msi.find((m) => m.name === 'MSI-H')?.count, rawFeatures.filter((r) => r.MSI_FACTOR === '1').length);
  });

  test('cell line names are joined from cell_lines.csv', () => {
    const i = panel.samples.indexOf('1240123');
    assert.equal(panel.sampleNames[i], 'CCK-81');
    assert.equal(panel.msi[i], 'MSI-H');
  });

  test('feature kind and gene helpers', () => {
    assert.equal(featureKind('gain_cnaPANCAN1_(CCNE1)'), 'cna_gain');
    assert.equal(featureKind('loss_cnaPANCAN2_(STK11)'), 'cna_loss');
    assert.equal(featureKind('BCR-ABL_mut'), 'mutation');
    assert.deepEqual(featureGenes('BCR-ABL_mut'), ['BCR-ABL']);
    assert.deepEqual(featureGenes('gain_cnaPANCAN27_(GATA3,KLF6,LARP4B,VIM)'), ['GATA3', 'KLF6', 'LARP4B', 'VIM']);
  });
});

describe('rule evaluation on the reference panel equals counts computed from the raw file', () => {
  const cases: [string, (r: Row) => boolean][] = [
    ['BRAF_mut AND tissue=skin', (r) => r.BRAF_mut === '1' && r.TISSUE_FACTOR === 'skin'],
    ['KRAS_mut AND NOT TP53_mut', (r) => r.KRAS_mut === '1' && r.TP53_mut !== '1'],
    ['(KRAS_mut OR NRAS_mut) AND tissue = large_intestine', (r) => (r.KRAS_mut === '1' || r.NRAS_mut === '1') && r.TISSUE_FACTOR === 'large_intestine'],
    ['msi=MSI-H', (r) => r.MSI_FACTOR === '1'],
    ['msi=MSS', (r) => rawMsi.get(r.COSMIC_ID) === 'MSI-S'],
    ['msi=non-MSI-H', (r) => rawMsi.get(r.COSMIC_ID) === 'MSI-S' || rawMsi.get(r.COSMIC_ID) === 'MSI-L'],
    ['loss_cnaPANCAN144_(BNC2,CDKN2A,JAK2,PSIP1) AND tissue != lung_NSCLC', (r) => r['loss_cnaPANCAN144_(BNC2,CDKN2A,JAK2,PSIP1)'] === '1' && r.TISSUE_FACTOR !== 'lung_NSCLC'],
    ['tissue=bladder OR `loss_cnaPANCAN38, loss_cnaPANCAN39`', (r) => r.TISSUE_FACTOR === 'Bladder' || r['loss_cnaPANCAN38, loss_cnaPANCAN39'] === '1'],
    ['!EGFR_mut || PIK3CA_mut && !tissue=breast', (r) => r.EGFR_mut !== '1' || (r.PIK3CA_mut === '1' && r.TISSUE_FACTOR !== 'breast')],
  ];
  for (const [rule, pred] of cases) {
    test(rule, () => {
      const expected = rawMask(pred);
      const got = evaluateRule(parseRule(rule, catalogue), panel);
      assert.deepEqual(got, expected);
      assert.ok(countMembers(got) > 0, 'the case should select someone');
    });
  }

  test('BRAF_mut AND tissue=skin selects 39 cell lines (known GDSC figure)', () => {
    const n = rawFeatures.filter((r) => r.BRAF_mut === '1' && r.TISSUE_FACTOR === 'skin').length;
    assert.equal(countMembers(evaluateRule(parseRule('BRAF_mut AND tissue=skin', catalogue), panel)), n);
  });
});

describe('rule parsing', () => {
  const F = (name: string): RuleNode => ({ type: 'feature', name });

  test('keywords and names are case-insensitive and normalise to one form', () => {
    const forms = ['BRAF_mut AND tissue=skin', 'braf_mut and TISSUE = "SKIN"', 'BRAF_mut && tissue==skin', '(BRAF_mut) AnD (tissue=`skin`)', "BRAF_mut AND tissue='skin'"];
    for (const f of forms) assert.equal(normaliseRule(parseRule(f, catalogue)), 'BRAF_mut AND tissue=skin', f);
  });

  test('precedence: NOT > AND > OR; parentheses override', () => {
    assert.deepEqual(parseRule('BRAF_mut OR KRAS_mut AND TP53_mut', catalogue), { type: 'or', args: [F('BRAF_mut'), { type: 'and', args: [F('KRAS_mut'), F('TP53_mut')] }] });
    assert.deepEqual(parseRule('BRAF_mut AND KRAS_mut OR TP53_mut', catalogue), { type: 'or', args: [{ type: 'and', args: [F('BRAF_mut'), F('KRAS_mut')] }, F('TP53_mut')] });
    assert.deepEqual(parseRule('NOT BRAF_mut AND KRAS_mut', catalogue), { type: 'and', args: [{ type: 'not', arg: F('BRAF_mut') }, F('KRAS_mut')] });
    assert.deepEqual(parseRule('NOT (BRAF_mut AND KRAS_mut)', catalogue), { type: 'not', arg: { type: 'and', args: [F('BRAF_mut'), F('KRAS_mut')] } });
    assert.deepEqual(parseRule('(BRAF_mut OR KRAS_mut) AND TP53_mut', catalogue), { type: 'and', args: [{ type: 'or', args: [F('BRAF_mut'), F('KRAS_mut')] }, F('TP53_mut')] });
    // Associative chains flatten.
    assert.deepEqual(parseRule('BRAF_mut AND (KRAS_mut AND TP53_mut)', catalogue), { type: 'and', args: [F('BRAF_mut'), F('KRAS_mut'), F('TP53_mut')] });
    assert.equal(normaliseRule(parseRule('(BRAF_mut OR KRAS_mut) AND NOT (TP53_mut OR tissue=skin)', catalogue)), '(BRAF_mut OR KRAS_mut) AND NOT (TP53_mut OR tissue=skin)');
    assert.equal(normaliseRule(parseRule('((BRAF_mut))', catalogue)), 'BRAF_mut');
  });

  test('field operators: != is NOT of =, MSI aliases resolve', () => {
    assert.deepEqual(parseRule('tissue != skin', catalogue), { type: 'not', arg: { type: 'tissue', value: 'skin' } });
    assert.deepEqual(parseRule('tissue=BLADDER', catalogue), { type: 'tissue', value: 'Bladder' });
    for (const v of ['MSI-H', 'msi-h', 'high', '1', 'MSI_H']) assert.deepEqual(parseRule(`msi=${v}`, catalogue), { type: 'msi', value: 'MSI-H' }, v);
    assert.deepEqual(parseRule('msi=MSS', catalogue), { type: 'msi', value: 'MSI-S' });
    assert.equal(canonicalMsi('0'), 'non-MSI-H');
    assert.equal(canonicalMsi(''), 'unknown');
  });

  test('copy-number features: unquoted with gene list, quoted, by segment id', () => {
    const full = 'loss_cnaPANCAN144_(BNC2,CDKN2A,JAK2,PSIP1)';
    assert.deepEqual(parseRule(full, catalogue), F(full));
    assert.deepEqual(parseRule(`"${full}"`, catalogue), F(full));
    assert.deepEqual(parseRule('loss_cnaPANCAN144', catalogue), F(full));
    assert.deepEqual(parseRule('loss_cnaPANCAN39', catalogue), F('loss_cnaPANCAN38, loss_cnaPANCAN39'));
    assert.equal(normaliseRule(parseRule('loss_cnaPANCAN39 and gain_cnapancan1', catalogue)), '`loss_cnaPANCAN38, loss_cnaPANCAN39` AND gain_cnaPANCAN1_(CCNE1)');
    assert.deepEqual(ruleReferences(parseRule(`${full} AND NOT tissue=skin OR msi=MSI-H`, catalogue)), { features: [full], tissues: ['skin'], msi: ['MSI-H'] });
  });

  test('every catalogue feature, tissue and MSI label round-trips through its normalised text', () => {
    for (const f of catalogue.features) assert.deepEqual(parseRule(normaliseRule(F(f.name)), catalogue), F(f.name), f.name);
    for (const t of catalogue.tissues) assert.deepEqual(parseRule(normaliseRule({ type: 'tissue', value: t.name }), catalogue), { type: 'tissue', value: t.name });
    for (const m of catalogue.msi) assert.deepEqual(parseRule(normaliseRule({ type: 'msi', value: m.name }), catalogue), { type: 'msi', value: m.name });
  });

  test('property: normalise → parse gives the same tree and the same membership', () => {
    const rand = rng(42);
    const feats = ['BRAF_mut', 'KRAS_mut', 'TP53_mut', 'gain_cnaPANCAN1_(CCNE1)', 'loss_cnaPANCAN38, loss_cnaPANCAN39', 'HLA-A_mut'];
    const tissues = ['skin', 'lung_NSCLC', 'Bladder'];
    const gen = (depth: number): RuleNode => {
      const r = rand();
      if (depth <= 0 || r < 0.3) {
        const k = rand();
        if (k < 0.7) return F(feats[Math.floor(rand() * feats.length)]);
        if (k < 0.9) return { type: 'tissue', value: tissues[Math.floor(rand() * tissues.length)] };
        return { type: 'msi', value: 'MSI-H' };
      }
      if (r < 0.45) return { type: 'not', arg: gen(depth - 1) };
      const type = r < 0.75 ? 'and' : 'or';
      const n = 2 + Math.floor(rand() * 2);
      // Children of the same operator would be flattened by the parser; keep the generated tree canonical.
      const args = Array.from({ length: n }, () => gen(depth - 1)).flatMap((a) => (a.type === type ? a.args : [a]));
      return { type, args };
    };
    for (let i = 0; i < 200; i++) {
      const tree = gen(4);
      const text = normaliseRule(tree);
      const back = parseRule(text, catalogue);
      assert.deepEqual(back, tree, text);
      assert.equal(normaliseRule(back), text);
      assert.deepEqual(evaluateRule(back, panel), evaluateRule(tree, panel));
    }
  });

  test('bad rules: every error names the column, what was expected, and suggests fixes', () => {
    const cases: { rule: string; column: number; message: RegExp; suggest?: string }[] = [
      { rule: '', column: 1, message: /Empty rule/ },
      { rule: 'BRAF', column: 1, message: /is a gene, not a feature.*BRAF_mut/, suggest: 'BRAF_mut' },
      { rule: 'CDKN2A_loss', column: 1, message: /Unknown feature 'CDKN2A_loss'/, suggest: 'loss_cnaPANCAN144_(BNC2,CDKN2A,JAK2,PSIP1)' },
      { rule: 'tissue=skin AND BRAF_mt', column: 17, message: /Unknown feature 'BRAF_mt' at column 17.*BRAF_mut/, suggest: 'BRAF_mut' },
      { rule: 'tissue=skn', column: 8, message: /Unknown tissue 'skn'.*skin.*Tissues: .*lung_NSCLC/, suggest: 'skin' },
      { rule: 'msi=MSI-X', column: 5, message: /Unknown MSI status 'MSI-X'.*Allowed: /, suggest: 'MSI-H' },
      { rule: '(BRAF_mut OR KRAS_mut', column: 22, message: /Expected '\)' to close the '\(' at column 1/ },
      { rule: 'BRAF_mut)', column: 9, message: /Unexpected '\)'/ },
      { rule: 'BRAF_mut KRAS_mut', column: 10, message: /Expected AND or OR before 'KRAS_mut'/, suggest: 'AND' },
      { rule: 'BRAF_mut AND', column: 13, message: /Expected a condition after 'AND'.*end of rule/ },
      { rule: 'AND BRAF_mut', column: 1, message: /Expected a condition before 'AND'/ },
      { rule: 'BRAF_mut AND NOT', column: 17, message: /after 'NOT'/ },
      { rule: 'BRAF_mut & KRAS_mut', column: 10, message: /Unexpected character '&'.*AND or &&/ },
      { rule: 'tissue skin', column: 8, message: /Expected '=' or '!=' after 'tissue'/ },
      { rule: 'tissue=', column: 8, message: /Expected a tissue value/ },
      { rule: 'BRAF_mut=1', column: 9, message: /only tissue and msi take a value/ },
      { rule: '`BRAF_mut', column: 1, message: /Unterminated quote/ },
      { rule: '()', column: 2, message: /Empty parentheses/ },
      { rule: 'gain_cnaPANCAN1_(CCNE1 AND BRAF_mut', column: 17, message: /Unclosed gene list/ },
    ];
    for (const c of cases) {
      const e = ruleError(() => parseRule(c.rule, catalogue));
      assert.equal(e.column, c.column, `${c.rule}: ${e.message}`);
      assert.equal(e.position, c.column - 1);
      assert.match(e.message, c.message, c.rule);
      assert.equal(e.rule, c.rule);
      if (c.suggest) assert.ok(e.suggestions.includes(c.suggest), `${c.rule}: suggestions ${JSON.stringify(e.suggestions)}`);
    }
    // Unknown tissue lists every allowed value.
    assert.deepEqual(ruleError(() => parseRule('tissue=mars', catalogue)).allowed, catalogue.tissues.map((t) => t.name));
  });

  test('hostile input is bounded', () => {
    const deep = '('.repeat(300) + 'BRAF_mut' + ')'.repeat(300);
    assert.match(ruleError(() => parseRule(deep, catalogue)).message, /nests deeper/);
    assert.match(ruleError(() => parseRule('BRAF_mut OR '.repeat(2000) + 'BRAF_mut', catalogue)).message, /longer than/);
  });

  test('edit distance and closest names', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
    // KRSA→KRAS is 2 edits (within the limit of 2 for an 8-letter word), KRSA→NRAS is 3.
    assert.deepEqual(closest('KRSA_mut', ['NRAS_mut', 'KRAS_mut', 'TP53_mut']), ['KRAS_mut']);
    assert.deepEqual(closest('XRAS_mut', ['NRAS_mut', 'KRAS_mut', 'TP53_mut']), ['KRAS_mut', 'NRAS_mut']);
  });
});

describe('CSV reader', () => {
  test('quotes, escaped quotes, embedded commas and newlines, CRLF, BOM, blank lines; start lines', () => {
    const text = '\ufeffid,"a, b",c\r\n\r\nx,"say ""hi""",1\r\ny,"two\nlines",2\nz,,3';
    assert.deepEqual(csvRecords(text, 't.csv'), [
      { fields: ['id', 'a, b', 'c'], line: 1 },
      { fields: ['x', 'say "hi"', '1'], line: 3 },
      { fields: ['y', 'two\nlines', '2'], line: 4 },
      { fields: ['z', '', '3'], line: 6 },
    ]);
  });

  test('agrees with csv-parse on the reference file', () => {
    const text = readFileSync(path.join(DATA, 'genomic_features.csv'), 'utf8');
    const ours = csvRecords(text, 'g.csv').map((r) => r.fields);
    assert.deepEqual(ours, parse(text) as string[][]);
  });

  test('an unclosed quote is an error naming the line where it opens', () => {
    assert.match(fileError(() => csvRecords('a,b\n1,"x\n2,3\n', 'q.csv')).message, /^q\.csv: line 2: a quoted field is never closed/);
  });
});

describe('lab panels', () => {
  const ref = ['BRAF_mut', 'KRAS_mut', 'TP53_mut'];

  test('unknown columns and missing catalogue features are reported by name; output aligned, missing = 0', () => {
    const csv = 'sample,TISSUE_FACTOR,MSI_FACTOR,KRAS_mut,MYFEATURE,BRAF_mut\nA,skin,1,1,0,1\nB,lung,0,0,1,0\n';
    const p = parsePanelCsv(csv, { file: 'lab.csv', reference: ref });
    assert.deepEqual(p.features, ref);
    assert.deepEqual(p.missing, ['TP53_mut']);
    assert.deepEqual([...p.missingMask], [0, 0, 1]);
    assert.deepEqual([...p.matrix], [1, 1, 0, 0, 0, 0]);
    assert.deepEqual(p.samples, ['A', 'B']);
    assert.deepEqual(p.tissue, ['skin', 'lung']);
    assert.deepEqual(p.msi, ['MSI-H', 'non-MSI-H']);
    const unknown = p.warnings.find((w) => w.code === 'unknown-features');
    const missing = p.warnings.find((w) => w.code === 'missing-features');
    assert.deepEqual(unknown?.names, ['MYFEATURE']);
    assert.match(unknown?.message ?? '', /lab\.csv.*MYFEATURE/);
    assert.deepEqual(missing?.names, ['TP53_mut']);
  });

  test('explicit feature order (a model input order) is honoured', () => {
    const p = parsePanelCsv('id,BRAF_mut,KRAS_mut\nX,1,0\nY,0,1\n', { file: 'x.csv', featureOrder: ['KRAS_mut', 'NEW_mut', 'BRAF_mut'] });
    assert.deepEqual(p.features, ['KRAS_mut', 'NEW_mut', 'BRAF_mut']);
    assert.deepEqual([...p.matrix], [0, 0, 1, 1, 0, 0]);
    assert.deepEqual(p.missing, ['NEW_mut']);
    assert.equal(p.hasTissue, false);
    assert.ok(p.warnings.some((w) => w.code === 'no-tissue'));
  });

  test('non-binary value: error names file, line and column', () => {
    const csv = 'sample,BRAF_mut,KRAS_mut\nA,1,0\nB,0,2\n';
    const e = fileError(() => parsePanelCsv(csv, { file: 'lab.csv' }));
    assert.equal(e.code, 'BAD_FILE');
    assert.match(e.message, /^lab\.csv: line 3, column 3 \("KRAS_mut"\): value "2" is not binary/);
    assert.deepEqual({ line: (e.details as { line: number }).line, column: (e.details as { column: number }).column }, { line: 3, column: 3 });
    // A corrupt column that was not requested still fails: the file is wrong.
    assert.match(fileError(() => parsePanelCsv('s,BRAF_mut,X\nA,1,yes\n', { file: 'f.csv', featureOrder: ['BRAF_mut'] })).message, /line 2, column 3 \("X"\)/);
    assert.match(fileError(() => parsePanelCsv('s,BRAF_mut\nA,\n', { file: 'f.csv' })).message, /value "" is not binary/);
  });

  test('duplicate samples, duplicate columns, ragged rows, empty files are errors', () => {
    assert.match(fileError(() => parsePanelCsv('s,BRAF_mut\nA,1\nB,0\nA,1\n', { file: 'd.csv' })).message, /d\.csv: line 4, column 1 \("s"\): duplicate sample id "A" \(first on line 2\)/);
    assert.match(fileError(() => parsePanelCsv('s,BRAF_mut,BRAF_mut\nA,1,1\n', { file: 'd.csv' })).message, /line 1, column 3.*duplicate column name \(also column 2\)/);
    assert.match(fileError(() => parsePanelCsv('s,BRAF_mut,KRAS_mut\nA,1\n', { file: 'r.csv' })).message, /r\.csv: line 2: has 2 field\(s\) but the header has 3/);
    assert.match(fileError(() => parsePanelCsv('', { file: 'e.csv' })).message, /e\.csv: the file is empty/);
    assert.match(fileError(() => parsePanelCsv('s,BRAF_mut\n', { file: 'h.csv' })).message, /no sample rows/);
    assert.match(fileError(() => parsePanelCsv('s,TISSUE_FACTOR\nA,skin\n', { file: 'n.csv' })).message, /no feature columns/);
  });

  test('files on disk, plain and gzip, validated against the reference catalogue', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'strata-panel-'));
    try {
      // A lab panel: three reference features, one of its own, in a different order; CRLF endings.
      const text = 'model_id,MSI_FACTOR,TP53_mut,BRAF_mut,LAB_marker,TISSUE_FACTOR,KRAS_mut\r\nM1,MSI-H,1,1,1,skin,0\r\nM2,MSS,0,1,0,skin,1\r\nM3,,1,0,0,lung_NSCLC,1\r\n';
      writeFileSync(path.join(dir, 'lab.csv'), text);
      writeFileSync(path.join(dir, 'lab.csv.gz'), gzipSync(text));
      for (const f of ['lab.csv', 'lab.csv.gz']) {
        const p = loadLabPanel(path.join(dir, f));
        assert.equal(p.features.length, catalogue.features.length);
        assert.deepEqual(p.warnings.find((w) => w.code === 'unknown-features')?.names, ['LAB_marker']);
        assert.equal(p.missing.length, catalogue.features.length - 3);
        assert.deepEqual(p.msi, ['MSI-H', 'MSI-S', 'unknown']);
        // The reference rule language applies unchanged; missing features are absent everywhere.
        assert.deepEqual([...evaluateRule(parseRule('BRAF_mut AND tissue=skin AND NOT KRAS_mut', catalogue), p)], [1, 0, 0]);
        assert.deepEqual([...evaluateRule(parseRule('TP53_mut OR EGFR_mut', catalogue), p)], [1, 0, 1]);
        const prev = previewSubgroup('TP53_mut OR EGFR_mut', catalogue, p);
        assert.match(prev.warning ?? '', /no data for EGFR_mut/);
      }
      writeFileSync(path.join(dir, 'bad.csv.gz'), 'not gzip');
      assert.match(fileError(() => readPanelFile(path.join(dir, 'bad.csv.gz'))).message, /not a valid gzip file/);
      assert.match(fileError(() => readPanelFile(path.join(dir, 'absent.csv'))).message, /absent\.csv: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tissue or MSI rules on a panel without those columns are errors, not silent zeros', () => {
    const p = parsePanelCsv('s,BRAF_mut\nA,1\n', { file: 'p.csv' });
    assert.throws(() => evaluateRule(parseRule('tissue=skin', catalogue), p), /has no tissue column/);
    assert.throws(() => evaluateRule(parseRule('msi=MSI-H', catalogue), p), /has no MSI column/);
    assert.throws(() => evaluateRule(parseRule('KRAS_mut', catalogue), p), /not in genotype panel/);
    // A catalogue built from such a panel has no tissues, and the parser says so.
    const cat = buildCatalogue(p, 'p');
    assert.deepEqual(cat.tissues, []);
    assert.match(ruleError(() => parseRule('tissue=skin', cat)).message, /no tissue information/);
  });
});

describe('subgroup preview', () => {
  test('counts, normalised rule, no warning for a large subgroup', () => {
    const p = previewSubgroup('braf_mut and tissue = skin', catalogue, panel);
    const members = rawFeatures.filter((r) => r.BRAF_mut === '1' && r.TISSUE_FACTOR === 'skin').length;
    assert.deepEqual(p, { rule: 'braf_mut and tissue = skin', normalised: 'BRAF_mut AND tissue=skin', members, complement: rawFeatures.length - members, total: rawFeatures.length, warning: null });
  });

  test('warns below the minimum, at zero, and when there is no complement', () => {
    const small = previewSubgroup('BRAF_mut AND tissue=testis', catalogue, panel);
    assert.ok(small.members < MIN_SUBGROUP_MEMBERS);
    assert.match(small.warning ?? '', small.members === 0 ? /No cell line/ : /fewer than 5/);
    // Find a rule with 1..4 members from the data itself, so the test does not depend on luck.
    const tissue = catalogue.tissues.find((t) => t.count > 0 && t.count < MIN_SUBGROUP_MEMBERS);
    assert.ok(tissue, 'the reference has a tissue with fewer than 5 cell lines');
    const few = previewSubgroup(`tissue="${tissue.name}"`, catalogue, panel);
    assert.equal(few.members, tissue.count);
    assert.match(few.warning ?? '', new RegExp(`Only ${tissue.count} of ${panel.samples.length} cell lines match`));
    const none = previewSubgroup('BRAF_mut AND NOT BRAF_mut', catalogue, panel);
    assert.equal(none.members, 0);
    assert.match(none.warning ?? '', /No cell line/);
    const all = previewSubgroup('BRAF_mut OR NOT BRAF_mut', catalogue, panel);
    assert.equal(all.complement, 0);
    assert.match(all.warning ?? '', /no complement/);
    assert.equal(previewSubgroup('BRAF_mut', catalogue, panel, { minMembers: 1000 }).warning?.includes('fewer than 1000'), true);
  });

  test('resolveSubgroup returns the membership mask of the preview', () => {
    const r = resolveSubgroup('KRAS_mut AND NOT TP53_mut', catalogue, panel);
    assert.equal(countMembers(r.membership), r.preview.members);
    assert.equal(r.membership.length, panel.samples.length);
  });

  test('bad rule surfaces as BAD_RULE from preview', () => {
    ruleError(() => previewSubgroup('BRAF', catalogue, panel));
  });
});

// Keep the GenotypePanel type referenced so a change in its shape breaks this file at type-check.
const _shape: (keyof GenotypePanel)[] = ['samples', 'tissue', 'msi', 'features', 'matrix', 'missing'];
void _shape;
