/**
 * `strata panel import`: VCF (VEP, snpEff; plain, gzip, bgzip; one and many samples), MAF, segment and
 * gene-level copy-number files and a sample sheet → a panel CSV, on the files in
 * tests/fixtures/panel/ (their README says where each comes from).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { convertGenotypeFiles, detectGenotypeFile, loadAnyPanel, referenceGenes } from '../../core/genotype/index.js';
import type { FileReport, PanelReport } from '../../core/genotype/index.js';
import { featureColumn, loadLabPanel, referenceCatalogue } from '../../core/subgroups/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIX = path.join(ROOT, 'tests/fixtures/panel');
const fx = (f: string) => path.join(FIX, f);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-panel-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Data lines of a fixture: what a reader must account for (header and `#` lines excluded). */
function dataLines(file: string, headerLines: number): number {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length - headerLines;
}

function skippedTotal(f: FileReport): number {
  return Object.values(f.skipped).reduce((a, b) => a + b, 0);
}

function sample(r: PanelReport, id: string) {
  const s = r.samples.find((x) => x.sample === id);
  assert.ok(s, `sample ${id} in the report`);
  return s;
}

/** The CSV parsed back through the panel reader, and one value. */
function valueOf(csv: string, id: string, feature: string): number {
  const file = path.join(tmp, `check-${Math.random().toString(36).slice(2)}.csv`);
  fs.writeFileSync(file, csv);
  const p = loadLabPanel(file);
  const s = p.samples.indexOf(id);
  assert.ok(s >= 0, `${id} in the panel`);
  return featureColumn(p, feature)[s];
}

describe('consequence classes and reference genes', () => {
  test('copy-number features naming genes are mappable, the others are listed as not', () => {
    const ref = referenceGenes();
    const cat = referenceCatalogue();
    const cna = cat.features.filter((f) => f.kind !== 'mutation');
    assert.equal(ref.cnaFeatures.length + ref.unmappableCna.length, cna.length);
    assert.equal(ref.unmappableCna.length, cna.filter((f) => f.genes.length === 0).length);
    // Every gene named by a copy-number feature has a GRCh38 span in the shipped annotation.
    for (const f of cna) for (const g of f.genes) assert.ok(ref.location.has(g), `${g} located`);
    assert.deepEqual(ref.unmappableMutations.sort(), ['BCR-ABL_mut', 'EWSR1-FLI1_mut', 'EWSR1-X_mut']);
    assert.equal(ref.panelSymbol.get('KMT2D'), 'MLL2');
  });
});

describe('VCF', () => {
  test('the VCF 4.2 specification example (no annotation) is refused with the reason', async () => {
    await assert.rejects(convertGenotypeFiles([fx('vcf42_spec_example.vcf')]), (e: Error) => {
      assert.match(e.message, /vcf42_spec_example\.vcf: the VCF has no variant annotation \(no INFO CSQ from Ensembl VEP or ANN from snpEff/);
      assert.match(e.message, /annotate the file with VEP .* or snpEff first/);
      return true;
    });
  });

  test('a sites-only VCF is refused: nothing says which sample carries a variant', async () => {
    const lines = fs.readFileSync(fx('snpeff_one_sample.vcf'), 'utf8').split('\n').filter((l) => l);
    const sites = lines.map((l) => (l.startsWith('##') ? l : l.split('\t').slice(0, 8).join('\t'))).join('\n');
    const f = path.join(tmp, 'sites.vcf');
    fs.writeFileSync(f, `${sites}\n`);
    await assert.rejects(convertGenotypeFiles([f]), /no sample columns \(a sites-only file\)/);
  });

  test('multi-sample VEP VCF: each sample gets the genes it carries, every record accounted for', async () => {
    const file = fx('vep_three_samples.vcf');
    const { csv, report } = await convertGenotypeFiles([file]);
    const f = report.files[0];
    assert.equal(f.format, 'vcf');
    assert.equal(f.recordsRead, dataLines(file, 0));
    assert.equal(f.recordsUsed + skippedTotal(f), f.recordsRead);
    assert.equal(f.skipped['did not pass FILTER'], 1);
    assert.equal(f.skipped['no sample carries an alternate allele'], 1);
    assert.equal(f.skipped['no CSQ annotation on the record'], 1);
    assert.equal(f.skipped['malformed record'], 1);
    assert.equal(f.skipped['gene not in the reference panel'], 1);
    assert.ok(f.issues.some((i) => i.reason.startsWith('malformed record') && i.line === fs.readFileSync(file, 'utf8').split('\n').length - 1));

    const a = sample(report, 'TUMOR_A');
    // BRAF V600E, and TP53 from the second ALT of the multi-allelic record (the first is synonymous).
    assert.deepEqual(a.genesSet, ['BRAF', 'TP53']);
    assert.deepEqual(Object.keys(a.unknownGenes), ['OR4F5']);
    // Synonymous EGFR, PTEN intronic in its canonical transcript (missense only in a non-canonical one), filtered SMAD4, OR4F5.
    assert.equal(a.variantsRead, 6);
    assert.equal(a.variantsUsed, 2);
    assert.equal(a.variantsSkipped['did not pass FILTER'], 1);
    assert.equal(a.variantsSkipped['not protein-altering (synonymous_variant)'], 1);
    assert.equal(a.variantsSkipped['not protein-altering (intron_variant, missense_variant)'], 1);
    const b = sample(report, 'TUMOR_B');
    assert.deepEqual(b.genesSet, ['EGFR', 'KRAS', 'TP53']); // EGFR: the exon-19 in-frame deletion (VEP allele "-")
    const c = sample(report, 'TUMOR_C');
    assert.deepEqual(c.genesSet, ['APC', 'KRAS']);
    for (const s of report.samples) assert.equal(s.variantsUsed + Object.values(s.variantsSkipped).reduce((x, y) => x + y, 0), s.variantsRead);

    assert.equal(valueOf(csv, 'TUMOR_A', 'BRAF_mut'), 1);
    assert.equal(valueOf(csv, 'TUMOR_B', 'BRAF_mut'), 0);
    assert.equal(valueOf(csv, 'TUMOR_A', 'EGFR_mut'), 0);
    assert.equal(valueOf(csv, 'TUMOR_A', 'PTEN_mut'), 0);
    assert.equal(valueOf(csv, 'TUMOR_A', 'SMAD4_mut'), 0);
    // Mutation input only: no copy-number column is claimed.
    assert.ok(!csv.split('\n')[0].includes('cnaPANCAN'));
    assert.ok(report.unmapped.some((u) => u.feature === 'gain_cnaPANCAN1_(CCNE1)' && u.reason === 'no copy-number file given'));
  });

  test('--vcf-sample keeps only the named columns (the tumour of a tumour/normal VCF); a wrong name is refused with the closest', async () => {
    const file = fx('vep_three_samples.vcf');
    const { report } = await convertGenotypeFiles([file], { vcfSamples: ['TUMOR_A', 'TUMOR_C'] });
    assert.deepEqual(report.samples.map((s) => s.sample), ['TUMOR_A', 'TUMOR_C']);
    const f = report.files[0];
    assert.equal(f.recordsRead, dataLines(file, 0));
    assert.equal(f.recordsUsed + skippedTotal(f), f.recordsRead);
    // TP53 R175H, the EGFR deletion and the CSQ-less record are carried by TUMOR_B only: nobody left carries them.
    assert.equal(f.skipped['no sample carries an alternate allele'], 4);
    assert.match(f.detail, /2 sample\(s\) \(1 other column\(s\) ignored\)/);
    await assert.rejects(convertGenotypeFiles([file], { vcfSamples: ['TUMOUR_A'] }), /TUMOUR_A/);
    await assert.rejects(convertGenotypeFiles([file], { vcfSamples: ['TUMOR_A', 'TUMOUR_B'] }), /--vcf-sample TUMOUR_B: no such sample column in the VCF\(s\); they have TUMOR_A, TUMOR_B, TUMOR_C \(did you mean TUMOR_B/);
  });

  test('snpEff ANN, gzip and bgzip-style multi-member gzip read the same as plain', async () => {
    const plain = fx('snpeff_one_sample.vcf');
    const text = fs.readFileSync(plain);
    const gz = path.join(tmp, 'snpeff.vcf.gz');
    fs.writeFileSync(gz, gzipSync(text));
    // bgzip writes a file as many concatenated gzip members; split the text in three.
    const bgz = path.join(tmp, 'snpeff.bgz.vcf.gz');
    const k = Math.floor(text.length / 3);
    fs.writeFileSync(bgz, Buffer.concat([gzipSync(text.subarray(0, k)), gzipSync(text.subarray(k, 2 * k)), gzipSync(text.subarray(2 * k))]));
    const results = await Promise.all([plain, gz, bgz].map((f) => convertGenotypeFiles([f])));
    for (const r of results) {
      const s = sample(r.report, 'PDX-0042');
      assert.deepEqual(s.genesSet, ['ARID1A', 'EGFR', 'ERBB2', 'NRAS', 'PIK3CA', 'TP53']);
      assert.equal(s.variantsRead, dataLines(plain, 0));
      assert.equal(s.variantsSkipped['not protein-altering (intron_variant, splice_region_variant)'], 1);
      assert.equal(s.variantsSkipped['not protein-altering (3_prime_UTR_variant)'], 1);
      assert.equal(r.report.files[0].detail, 'snpEff ANN, 1 sample(s)');
    }
    assert.equal(results[1].csv, results[0].csv);
    assert.equal(results[2].csv, results[0].csv);
  });

  test('a truncated gzip file is an error naming the file, not a silent short panel', async () => {
    const gz = gzipSync(fs.readFileSync(fx('vep_three_samples.vcf')));
    const f = path.join(tmp, 'truncated.vcf.gz');
    fs.writeFileSync(f, gz.subarray(0, Math.floor(gz.length / 2)));
    await assert.rejects(convertGenotypeFiles([f]), /truncated\.vcf\.gz: cannot read past line \d+/);
  });
});

describe('MAF', () => {
  test('TCGA-style MAF: counted classes set genes, others are skipped by class, unknown genes listed', async () => {
    const file = fx('tcga_style.maf');
    const { csv, report } = await convertGenotypeFiles([file]);
    const f = report.files[0];
    assert.equal(f.recordsRead, dataLines(file, 1));
    assert.equal(f.recordsUsed + skippedTotal(f), f.recordsRead);
    assert.equal(f.skipped['malformed row'], 1);
    assert.equal(f.skipped['unknown Variant_Classification'], 1);
    assert.equal(f.skipped['did not pass FILTER'], 1);
    for (const cls of ['Silent', 'Intron', "3'UTR", 'IGR']) assert.equal(f.skipped[`not protein-altering (${cls})`], 1, cls);
    const s1 = sample(report, 'TCGA-AA-3518-01A-11D-1953-10');
    assert.deepEqual(s1.genesSet, ['APC', 'KRAS', 'SMAD4', 'TP53']);
    assert.deepEqual(Object.keys(s1.unknownGenes).sort(), ['MUC16', 'TTN']);
    const s2 = sample(report, 'TCGA-EE-A29A-06A-11D-A196-08');
    // KMT2D is today's name of the panel's MLL2; NRAS was filtered (panel_of_normals); EGFR has a made-up class.
    assert.deepEqual(s2.genesSet, ['BRAF', 'CDKN2A', 'MLL2']);
    assert.deepEqual(Object.keys(s2.unknownGenes), ['OR4F5']);
    assert.deepEqual(Object.keys(report.unknownGenes).sort(), ['MUC16', 'OR4F5', 'TTN']);
    assert.equal(valueOf(csv, 'TCGA-EE-A29A-06A-11D-A196-08', 'MLL2_mut'), 1);
    assert.equal(valueOf(csv, 'TCGA-EE-A29A-06A-11D-A196-08', 'NRAS_mut'), 0);
    assert.equal(valueOf(csv, 'TCGA-EE-A29A-06A-11D-A196-08', 'EGFR_mut'), 0);
    assert.ok(report.warnings.some((w) => /3 gene\(s\) with protein-altering variants are not in the reference panel.*OR4F5/.test(w)));
  });

  test('a MAF without Tumor_Sample_Barcode is refused naming the missing column', async () => {
    const text = fs.readFileSync(fx('tcga_style.maf'), 'utf8').replace('Tumor_Sample_Barcode', 'Sample');
    const f = path.join(tmp, 'nobarcode.maf');
    fs.writeFileSync(f, text);
    await assert.rejects(convertGenotypeFiles([f]), /nobarcode\.maf: line 3: the MAF header lacks Tumor_Sample_Barcode/);
  });
});

describe('copy number', () => {
  test('.seg needs its genome build, and only GRCh38 maps', async () => {
    await assert.rejects(convertGenotypeFiles([fx('gdc_style.seg')]), /does not say its genome build: pass --genome GRCh38/);
    await assert.rejects(convertGenotypeFiles([fx('gdc_style.seg')], { genome: 'hg19' }), /segments on hg19 cannot be mapped/);
  });

  test('.seg: a segment over a gene sets the feature when it crosses the log2 threshold in the feature\'s direction', async () => {
    const file = fx('gdc_style.seg');
    const { csv, report } = await convertGenotypeFiles([file], { genome: 'GRCh38' });
    const f = report.files[0];
    assert.equal(f.recordsRead, dataLines(file, 1));
    assert.equal(f.recordsUsed + skippedTotal(f), f.recordsRead);
    assert.equal(f.skipped['chromosome not 1–22, X or Y'], 1);
    assert.equal(f.skipped['malformed segment'], 1);
    const aa = 'TCGA-AA-3518-01A-11D-1953-10';
    const ee = 'TCGA-EE-A29A-06A-11D-A196-08';
    const cdkn2aLoss = referenceGenes().cnaByGene.get('CDKN2A')!.filter((c) => c.direction === 'loss').map((c) => c.name);
    assert.ok(cdkn2aLoss.length > 0);
    assert.equal(valueOf(csv, aa, 'gain_cnaPANCAN1_(CCNE1)'), 1); // log2 1.85
    assert.equal(valueOf(csv, aa, 'gain_cnaPANCAN91_(MYC)'), 0); // log2 0.7 < 1
    assert.equal(valueOf(csv, ee, 'gain_cnaPANCAN91_(MYC)'), 1); // log2 1.4
    assert.equal(valueOf(csv, ee, 'gain_cnaPANCAN301_(CDK12,ERBB2,MED24)'), 1); // ERBB2 at 1.2
    for (const c of cdkn2aLoss) {
      assert.equal(valueOf(csv, ee, c), 1, c); // log2 −1.6
      assert.equal(valueOf(csv, aa, c), 0, c); // neutral
    }
    // A stricter gain threshold turns the 1.2 gain off and keeps the 1.85 one.
    const strict = await convertGenotypeFiles([file], { genome: 'GRCh38', gainLog2: 1.5 });
    assert.equal(valueOf(strict.csv, ee, 'gain_cnaPANCAN301_(CDK12,ERBB2,MED24)'), 0);
    assert.equal(valueOf(strict.csv, aa, 'gain_cnaPANCAN1_(CCNE1)'), 1);
    // Segment features without genes are not written, so a panel reader reports them as missing.
    const header = csv.split('\n')[0];
    assert.ok(!header.includes('loss_cnaPANCAN4,'));
    assert.ok(report.unmapped.filter((u) => /not mappable without the segment's coordinates/.test(u.reason)).length === referenceGenes().unmappableCna.length);
  });

  test('gene-level discrete table: only ±2 count; shallow ±1 do not', async () => {
    const { csv, report } = await convertGenotypeFiles([fx('cbioportal_cna.txt')]);
    assert.equal(report.files[0].detail, 'discrete calls (−2…2)');
    assert.equal(report.files[0].skipped['gene in no copy-number feature of the panel'], 1); // GAPDH
    const cdkn2aLoss = referenceGenes().cnaByGene.get('CDKN2A')!.filter((c) => c.direction === 'loss').map((c) => c.name);
    assert.equal(valueOf(csv, 'PDX-0042', cdkn2aLoss[0]), 1);
    assert.equal(valueOf(csv, 'PDX-0043', cdkn2aLoss[0]), 0);
    assert.equal(valueOf(csv, 'PDX-0042', 'gain_cnaPANCAN301_(CDK12,ERBB2,MED24)'), 1);
    assert.equal(valueOf(csv, 'PDX-0043', 'gain_cnaPANCAN301_(CDK12,ERBB2,MED24)'), 0); // 1 = shallow gain
    assert.equal(valueOf(csv, 'PDX-0042', 'gain_cnaPANCAN91_(MYC)'), 0);
    assert.equal(valueOf(csv, 'PDX-0043', 'gain_cnaPANCAN91_(MYC)'), 1);
  });

  test('a gene-level table with non-integer values is read as log2 ratios', async () => {
    const f = path.join(tmp, 'log2_genes.tsv');
    fs.writeFileSync(f, 'Gene Symbol\tLocus ID\tCytoband\tS1\tS2\nMYC\t4609\t8q24.21\t1.3\t0.4\nCCNE1\t898\t19q12\t0.2\t2.5\n');
    const { csv, report } = await convertGenotypeFiles([f]);
    assert.equal(report.files[0].detail, 'log2 ratios');
    assert.equal(valueOf(csv, 'S1', 'gain_cnaPANCAN91_(MYC)'), 1);
    assert.equal(valueOf(csv, 'S2', 'gain_cnaPANCAN91_(MYC)'), 0);
    assert.equal(valueOf(csv, 'S2', 'gain_cnaPANCAN1_(CCNE1)'), 1);
  });
});

describe('samples, combination and prediction input', () => {
  test('sample sheet: tissues matched case-insensitively, unknown ones reported with the closest labels', async () => {
    const sheet = path.join(tmp, 'sheet.tsv');
    fs.writeFileSync(sheet, 'sample_id\ttissue\tmsi_status\nTUMOR_A\tSKIN\tMSS\nTUMOR_B\tlung_NSLC\tMSI-H\nTUMOR_C\tcolon\t\n');
    const { csv, report } = await convertGenotypeFiles([fx('vep_three_samples.vcf')], { samples: sheet });
    assert.equal(sample(report, 'TUMOR_A').tissue, 'skin');
    assert.equal(sample(report, 'TUMOR_A').msi, 'MSI-S');
    assert.equal(sample(report, 'TUMOR_B').tissue, 'lung_NSLC');
    assert.ok(report.warnings.some((w) => /tissue "lung_NSLC" is not a tissue of the reference panel \(did you mean lung_NSCLC/.test(w)), report.warnings.join('\n'));
    assert.ok(report.warnings.some((w) => /tissue "colon" is not a tissue of the reference panel/.test(w)));
    const file = path.join(tmp, 'with-sheet.csv');
    fs.writeFileSync(file, csv);
    const p = loadLabPanel(file);
    assert.deepEqual(p.tissue, ['skin', 'lung_NSLC', 'colon']);
    assert.deepEqual(p.msi, ['MSI-S', 'MSI-H', 'unknown']);
  });

  test('VCF + MAF + seg + sheet: one panel, sheet-only samples written with no variant', async () => {
    const { csv, report } = await convertGenotypeFiles([fx('vep_three_samples.vcf'), fx('tcga_style.maf'), fx('gdc_style.seg')], { samples: fx('samples.csv'), genome: 'GRCh38' });
    assert.deepEqual(report.samples.map((s) => s.sample), ['TUMOR_A', 'TUMOR_B', 'TUMOR_C', 'TCGA-AA-3518-01A-11D-1953-10', 'TCGA-EE-A29A-06A-11D-A196-08', 'NORMAL_CONTROL']);
    const normal = sample(report, 'NORMAL_CONTROL');
    assert.equal(normal.variantsRead, 0);
    assert.equal(normal.tissue, 'large_intestine');
    const ee = 'TCGA-EE-A29A-06A-11D-A196-08';
    assert.equal(valueOf(csv, ee, 'BRAF_mut'), 1);
    assert.equal(valueOf(csv, ee, 'gain_cnaPANCAN91_(MYC)'), 1);
    assert.ok(report.warnings.some((w) => /have no copy-number data.*TUMOR_A/.test(w)));
  });

  test('format detection by content, and loadAnyPanel aligns a VCF to a model\'s feature order', async () => {
    assert.equal(await detectGenotypeFile(fx('vep_three_samples.vcf')), 'vcf');
    assert.equal(await detectGenotypeFile(fx('tcga_style.maf')), 'maf');
    assert.equal(await detectGenotypeFile(fx('gdc_style.seg')), 'seg');
    assert.equal(await detectGenotypeFile(fx('cbioportal_cna.txt')), 'cna-genes');
    assert.equal(await detectGenotypeFile(path.join(ROOT, 'resources/genotypes/gdsc_v17_genomic_features.csv.gz')), 'panel-csv');
    const order = ['TP53_mut', 'BRAF_mut', 'gain_cnaPANCAN1_(CCNE1)'];
    const { panel, report } = await loadAnyPanel([fx('vep_three_samples.vcf')], { featureOrder: order });
    assert.ok(report);
    assert.deepEqual(panel.samples, ['TUMOR_A', 'TUMOR_B', 'TUMOR_C']);
    assert.deepEqual(panel.features, order);
    assert.deepEqual([...panel.matrix], [1, 1, 0, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(panel.missing, ['gain_cnaPANCAN1_(CCNE1)']);
    assert.ok(panel.warnings.some((w) => w.code === 'conversion' && /OR4F5/.test(w.message)));
  });
});

describe('strata panel import (real process)', () => {
  test('writes the CSV and report, prints the per-sample summary; refuses an unannotated VCF with exit 1', () => {
    const out = path.join(tmp, 'cli-panel.csv');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/strata.mjs'), 'panel', 'import', fx('tcga_style.maf'), fx('gdc_style.seg'), '--genome', 'GRCh38', '--samples', fx('samples.csv'), '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /tcga_style\.maf \(maf, Variant_Classification\): 17 records read = 7 used \+ 10 skipped/);
    assert.match(r.stdout, /TCGA-EE-A29A-06A-11D-A196-08 \[skin, MSI-S\]: 8 variants read, 3 used; genes set: BRAF, CDKN2A, MLL2/);
    assert.match(r.stdout, /genes not in the panel: OR4F5/);
    const report = JSON.parse(fs.readFileSync(`${out}.report.json`, 'utf8')) as PanelReport;
    assert.equal(report.files.length, 2);
    assert.equal(loadLabPanel(out).samples.length, report.samples.length);

    const bad = spawnSync(process.execPath, [path.join(ROOT, 'bin/strata.mjs'), 'panel', 'import', fx('vcf42_spec_example.vcf'), '--out', path.join(tmp, 'never.csv')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /the VCF has no variant annotation/);
    assert.ok(!fs.existsSync(path.join(tmp, 'never.csv')));
  });
});
