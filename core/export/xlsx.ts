/** XLSX output through exceljs's streaming writer: a data sheet and a provenance sheet. */
import ExcelJS from 'exceljs';

export interface XlsxWriter {
  add(row: unknown[]): void;
  finish(provenance: Record<string, unknown>): Promise<void>;
}

export function openXlsx(file: string, header: string[], creator = 'Strata'): XlsxWriter {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true });
  wb.creator = creator;
  const sheet = wb.addWorksheet('data', { views: [{ state: 'frozen', ySplit: 1 }] });
  const head = sheet.addRow(header);
  head.font = { bold: true };
  head.commit();
  return {
    add(row) {
      sheet.addRow(row.map((v) => (v == null ? null : (v as string | number | boolean)))).commit();
    },
    async finish(provenance) {
      sheet.commit();
      const prov = wb.addWorksheet('provenance');
      for (const [k, v] of Object.entries(provenance)) prov.addRow([k, typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v)]).commit();
      prov.commit();
      await wb.commit();
    },
  };
}

export async function writeXlsx(file: string, header: string[], rows: unknown[][], provenance: Record<string, unknown>): Promise<void> {
  const w = openXlsx(file, header, String(provenance.generator ?? 'Strata'));
  for (const r of rows) w.add(r);
  await w.finish(provenance);
}
