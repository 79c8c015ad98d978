/**
 * The preview of a file before it is imported (`library.preview`: the import's own reader and detection):
 * its format, the first records as a table with the structure, id and name columns marked, the records the
 * reader could not read, and — when the file cannot be imported as chosen — the reason.
 */
import type { LibraryPreview } from '../../../core/api/contract.js';
import { basename, formatInt } from '../lib/format.js';

export interface ColumnChoice {
  smilesColumn: string;
  idColumn: string;
  nameColumn: string;
}

const FORMAT_LABEL: Record<LibraryPreview['format'], string> = { sdf: 'SDF', smi: 'SMILES', csv: 'CSV', tsv: 'TSV' };

/** The structure / id / name selects over the previewed file's columns ('' = as detected). */
export function PreviewColumns(props: { preview: LibraryPreview; choice: ColumnChoice; onChange: (c: Partial<ColumnChoice>) => void; disabled?: boolean }) {
  const { preview: p, choice, onChange, disabled } = props;
  const sdf = p.format === 'sdf';
  const pick = (label: string, testId: string, key: keyof ColumnChoice, options: string[], effective: string | null, none: string, title: string) => (
    <label title={title}>
      {label}
      <select
        value={choice[key] || effective || ''}
        disabled={disabled || options.length === 0}
        onChange={(e) => onChange({ [key]: e.target.value })}
        data-testid={testId}
      >
        {!(choice[key] || effective) && <option value="">{none}</option>}
        {options.map((c) => (
          <option key={c} value={c}>
            {c}
            {c === effective && !choice[key] ? ' (detected)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="form-row preview-columns" data-testid="preview-columns">
      {sdf ? (
        <span className="muted small">Structure: each record's molblock; id: its title line.</span>
      ) : p.choosable.structure.length > 0 ? (
        <>
          {pick('Structure column', 'import-smiles-column', 'smilesColumn', p.choosable.structure, p.structureColumn, 'choose the structure column…', 'the column holding the SMILES')}
          {pick('ID column', 'import-id-column', 'idColumn', p.choosable.id, p.idColumn, '(none detected)', 'the column with the external id')}
        </>
      ) : (
        <span className="muted small">A SMILES file: the structure, then the id on each line.</span>
      )}
      {p.choosable.name.length > 0 &&
        pick('Name column', 'import-name-column', 'nameColumn', p.choosable.name, p.nameColumn, '(none detected)', 'column or SDF field with the compound name; detected: pref_name, name, compound_name, title… (never the id column)')}
    </div>
  );
}

export function PreviewTable({ preview: p }: { preview: LibraryPreview }) {
  const role = (c: string) => (c === p.structureColumn ? 'structure' : c === p.idColumn ? 'id' : c === p.nameColumn ? 'name' : null);
  return (
    <div className="import-preview" data-testid="import-preview" data-format={p.format}>
      <p className="small" data-testid="preview-summary">
        <span className="mono">{basename(p.path)}</span>: {FORMAT_LABEL[p.format]}
        {p.compressed ? ', gzip-compressed' : ''}
        {p.structureColumn && !p.error ? (
          <>
            {' · structure '}
            <b data-testid="preview-structure">{p.structureColumn}</b>
            {' · id '}
            <b data-testid="preview-id">{p.idColumn ?? 'none'}</b>
            {' · name '}
            <b data-testid="preview-name">{p.nameColumn ?? 'none'}</b>
          </>
        ) : null}
        {p.rows.length > 0 && <span className="muted"> · first {formatInt(p.rows.length + p.bad.length)} records{p.more ? '' : ' (all)'}</span>}
      </p>
      {p.error && (
        <div className="error-box" role="alert" data-testid="preview-error">
          <strong>This file cannot be imported as chosen:</strong> {p.error.replaceAll(p.path, basename(p.path))}
        </div>
      )}
      {p.rows.length > 0 && (
        <div className="preview-scroll">
          <table className="dense preview-table" data-testid="preview-table">
            <thead>
              <tr>
                <th className="num">#</th>
                {p.columns.map((c) => (
                  <th key={c} className={role(c) ? `col-${role(c)}` : undefined} data-testid="preview-col" data-role={role(c) ?? ''}>
                    {c}
                    {role(c) && <span className="col-role">{role(c)}</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {p.rows.map((r) => (
                <tr key={r.record} data-testid="preview-row">
                  <td className="num muted">{r.record}</td>
                  {r.values.map((v, i) => (
                    <td key={i} className={role(p.columns[i]) ? `col-${role(p.columns[i])}` : undefined} title={v}>
                      <span className={`ellipsis ${p.columns[i] === p.structureColumn ? 'mono' : ''}`}>{v}</span>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.bad.length > 0 && (
        <ul className="preview-bad small" data-testid="preview-bad">
          {p.bad.map((b) => (
            <li key={b.record} className="error-inline">
              Record {b.record} (line {b.line}): {b.reason}
            </li>
          ))}
        </ul>
      )}
      {!p.error && p.rows.length === 0 && p.bad.length === 0 && <p className="muted">The file has no records.</p>}
    </div>
  );
}
