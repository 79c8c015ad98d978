/**
 * MAF (TCGA/GDC, cBioPortal `data_mutations.txt`; plain or gzip) → mutated panel genes per sample.
 * Tab-separated, `#` lines before the header ignored; the columns used are `Hugo_Symbol`,
 * `Variant_Classification`, `Tumor_Sample_Barcode` and, when present, `FILTER` (a row must be `PASS`,
 * `.` or empty, as for a VCF). MAF fields are not quoted, so a plain split on tabs is the format.
 */
import { basename } from 'node:path';
import { ApiError } from '../api/errors.js';
import type { PanelBuilder } from './builder.js';
import { COUNTED_MAF_CLASSES, OTHER_MAF_CLASSES } from './consequences.js';
import { readLines } from './lines.js';

const REQUIRED = ['Hugo_Symbol', 'Variant_Classification', 'Tumor_Sample_Barcode'] as const;

export async function readMaf(file: string, builder: PanelBuilder): Promise<void> {
  const name = basename(file);
  let header: string[] | null = null;
  let col: Record<(typeof REQUIRED)[number] | 'FILTER', number> | null = null;
  let report: ReturnType<PanelBuilder['file']> | null = null;
  for await (const { text, line } of readLines(file)) {
    if (!header) {
      if (text.startsWith('#') || text.trim() === '') continue;
      header = text.split('\t').map((h) => h.trim());
      const find = (n: string) => header!.findIndex((h) => h.toLowerCase() === n.toLowerCase());
      const missing = REQUIRED.filter((n) => find(n) < 0);
      if (missing.length) {
        throw new ApiError('BAD_FILE', `${file}: line ${line}: the MAF header lacks ${missing.join(', ')} (a MAF needs tab-separated columns ${REQUIRED.join(', ')})`, { file, line, missing });
      }
      col = { Hugo_Symbol: find('Hugo_Symbol'), Variant_Classification: find('Variant_Classification'), Tumor_Sample_Barcode: find('Tumor_Sample_Barcode'), FILTER: find('FILTER') };
      report = builder.file(file, 'maf', 'Variant_Classification');
      continue;
    }
    if (text.trim() === '' || text.startsWith('#')) continue;
    const r = report!;
    const c = col!;
    r.recordsRead++;
    const f = text.split('\t');
    if (f.length !== header.length) {
      builder.skipRecord(r, line, 'malformed row', null, `${f.length} tab-separated fields, the header has ${header.length}`);
      continue;
    }
    const sample = f[c.Tumor_Sample_Barcode].trim();
    if (!sample) {
      builder.skipRecord(r, line, 'malformed row', null, 'empty Tumor_Sample_Barcode');
      continue;
    }
    const skip = (reason: string, detail?: string) => {
      builder.skipVariant(sample, name, reason);
      builder.skipRecord(r, line, reason, sample, detail);
    };
    const filter = c.FILTER >= 0 ? f[c.FILTER].trim() : '';
    if (filter !== '' && filter !== '.' && filter !== 'PASS') {
      skip('did not pass FILTER', filter);
      continue;
    }
    const cls = f[c.Variant_Classification].trim();
    if (!COUNTED_MAF_CLASSES.has(cls)) {
      if (OTHER_MAF_CLASSES.has(cls)) skip(`not protein-altering (${cls})`);
      else skip('unknown Variant_Classification', JSON.stringify(cls));
      continue;
    }
    const gene = f[c.Hugo_Symbol].trim();
    if (gene === '' || gene === 'Unknown') {
      skip('no gene symbol', `Hugo_Symbol ${JSON.stringify(gene)}`);
      continue;
    }
    const reason = builder.variant(sample, name, [gene], null);
    if (reason === null) r.recordsUsed++;
    else builder.skipRecord(r, line, reason, sample, gene);
  }
  if (!header) throw new ApiError('BAD_FILE', `${file}: the MAF has no header line (expected tab-separated columns ${REQUIRED.join(', ')})`, { file });
}
