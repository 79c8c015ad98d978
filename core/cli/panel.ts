/**
 * `strata panel import FILE... --out panel.csv`: a lab's VCF/MAF/copy-number files → a genotype panel
 * CSV (layout of genomic_features.csv) plus `<out>.report.json`, and a summary on the terminal.
 */
import type { Command } from 'commander';
import path from 'node:path';
import { prepareOutput, writeTextAtomically } from '../export/output-guard.js';

function fmtCounts(c: Record<string, number>): string {
  return Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join('; ');
}

export function registerPanelCommand(program: Command): void {
  const panel = program.command('panel').description('a lab\'s own genotype panels');
  panel.command('import')
    .description('convert VCF (VEP CSQ / snpEff ANN), MAF, .seg and gene-level copy-number files into a panel CSV with a report')
    .argument('<files...>', 'VCF (.vcf, .vcf.gz), MAF, segment (.seg) or gene-level copy-number table files')
    .requiredOption('-o, --out <file>', 'panel CSV to write (the report goes to <out>.report.json)')
    .option('--samples <sheet>', 'sample sheet CSV/TSV: sample id, tissue, MSI status')
    .option('--tissue <tissue>', 'tissue of every sample the sheet does not describe')
    .option('--msi <status>', 'MSI status (MSI-H, MSI-L, MSI-S) of every sample the sheet does not describe')
    .option('--vcf-sample <name>', 'take only this VCF sample column (e.g. the tumour of a tumour/normal VCF); repeatable', (v: string, acc: string[] = []) => [...acc, v])
    .option('--genome <build>', 'genome build of .seg files (GRCh38 only)')
    .option('--gain <log2>', 'log2 ratio at or above which a gene counts as gained', Number.parseFloat)
    .option('--loss <log2>', 'log2 ratio at or below which a gene counts as lost', Number.parseFloat)
    .option('--json', 'print the report as JSON')
    .option('--force', 'replace --out if it exists')
    .action(async (files: string[], o) => {
      // The same output rules as export: never a project or any SQLite file, a .csv name, --force to replace.
      const { file: out } = await prepareOutput(o.out, { format: 'csv', overwrite: !!o.force, sidecars: [`${path.resolve(o.out)}.report.json`] });
      const { convertGenotypeFiles } = await import('../genotype/index.js');
      const { csv, report } = await convertGenotypeFiles(files, { samples: o.samples, tissue: o.tissue, msi: o.msi, vcfSamples: o.vcfSample, genome: o.genome, gainLog2: o.gain, lossLog2: o.loss });
      await writeTextAtomically(out, csv);
      await writeTextAtomically(`${out}.report.json`, `${JSON.stringify(report, null, 2)}\n`);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      for (const f of report.files) {
        const skipped = Object.values(f.skipped).reduce((a, b) => a + b, 0);
        lines.push(`${path.basename(f.file)} (${f.format}, ${f.detail}): ${f.recordsRead} records read = ${f.recordsUsed} used + ${skipped} skipped${skipped ? ` (${fmtCounts(f.skipped)})` : ''}`);
      }
      lines.push(`${report.samples.length} sample(s):`);
      for (const s of report.samples) {
        const unknown = Object.keys(s.unknownGenes);
        lines.push(`  ${s.sample}${s.tissue ? ` [${s.tissue}${s.msi ? `, ${s.msi}` : ''}]` : s.msi ? ` [${s.msi}]` : ''}: ${s.variantsRead} variants read, ${s.variantsUsed} used; genes set: ${s.genesSet.join(', ') || 'none'}`
          + `${s.cnaSet.length ? `; copy-number features set: ${s.cnaSet.length}` : ''}${unknown.length ? `; genes not in the panel: ${unknown.join(', ')}` : ''}${s.cnaNoData.length ? `; ${s.cnaNoData.length} copy-number features without data` : ''}`);
      }
      const byReason = new Map<string, number>();
      for (const u of report.unmapped) byReason.set(u.reason, (byReason.get(u.reason) ?? 0) + 1);
      lines.push(`wrote ${report.featuresWritten} features to ${o.out}; not written (missing from the CSV, so a prediction reports them): ${[...byReason].map(([r, n]) => `${n} ${r}`).join('; ') || 'none'}`);
      for (const w of report.warnings) lines.push(`warning: ${w}`);
      lines.push(`report: ${o.out}.report.json`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
