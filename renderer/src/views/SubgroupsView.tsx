/**
 * Patient subgroups defined by genotype rules over the reference cell-line panel: the catalogue of
 * features (with prevalence), a rule editor with a live member count, and the saved subgroups.
 */
import { useMemo, useState } from 'react';
import type { GenotypeFeature, SubgroupDef } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall, useDebounced } from '../hooks.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { VirtualTable, type Column } from '../components/VirtualTable.js';
import { formatDate, formatInt } from '../lib/format.js';
import { addToRule, sortFeatures, type RuleOp } from '../lib/catalogue.js';

/** A name as the rule language reads it: bare when it is a plain word, otherwise quoted. */
function ruleWord(name: string): string {
  return /^[A-Za-z0-9_.-]+(_\([^)]*\))?$/.test(name) ? name : `"${name.replace(/"/g, '')}"`;
}

const KIND_LABEL: Record<GenotypeFeature['kind'], string> = { mutation: 'mutation', cna_gain: 'CN gain', cna_loss: 'CN loss' };

export function SubgroupsView() {
  const { api } = useApp();
  const catalogue = useCall('subgroups.catalogue', {});
  const presets = useCall('subgroups.presets', {});
  const [op, setOp] = useState<RuleOp>('AND');
  const [listVersion, setListVersion] = useState(0);
  const saved = useCall('subgroups.list', {}, [listVersion]);
  const [name, setName] = useState('');
  const [rule, setRule] = useState('');
  const [saveError, setSaveError] = useState<Error | null>(null);
  const [savedMsg, setSavedMsg] = useState<string | null>(null);
  const liveRule = useDebounced(rule.trim(), 300);
  const preview = useCall('subgroups.preview', liveRule ? { rule: liveRule } : null);
  const [text, setText] = useState('');
  const [kind, setKind] = useState<'' | GenotypeFeature['kind']>('');

  const features = useMemo(() => {
    const all = catalogue.data?.features ?? [];
    const t = text.trim().toLowerCase();
    return sortFeatures(all.filter((f) => (!kind || f.kind === kind) && (!t || f.name.toLowerCase().includes(t) || f.genes.some((g) => g.toLowerCase().includes(t)))));
  }, [catalogue.data, text, kind]);

  const insert = (token: string) => setRule((r) => addToRule(r, token, op));

  const save = async () => {
    setSaveError(null);
    setSavedMsg(null);
    const existing = saved.data?.find((d) => d.name === name.trim());
    if (existing && !window.confirm(`A subgroup named "${existing.name}" already exists (rule: ${existing.rule}).\n\nReplace it with: ${rule.trim()}?`)) return;
    try {
      const def = await api.call('subgroups.save', { name: name.trim(), rule: rule.trim() });
      setSavedMsg(`Saved "${def.name}".`);
      setListVersion((v) => v + 1);
    } catch (e) {
      setSaveError(e as Error);
    }
  };
  const remove = async (d: SubgroupDef) => {
    try {
      await api.call('subgroups.delete', { name: d.name });
      setListVersion((v) => v + 1);
    } catch (e) {
      setSaveError(e as Error);
    }
  };

  const featureColumns: Column<GenotypeFeature>[] = [
    {
      key: 'name', label: 'Feature', width: 230,
      render: (f) => (
        <span className="mono ellipsis" title={f.driverRank !== null ? `${f.name} — curated cancer driver gene` : f.name}>
          {f.driverRank !== null && <span className="driver-mark" aria-label="driver">★ </span>}
          {f.name}
        </span>
      ),
    },
    { key: 'kind', label: 'Kind', width: 80, render: (f) => KIND_LABEL[f.kind] },
    { key: 'genes', label: 'Genes', width: 160, render: (f) => <span className="ellipsis" title={f.genes.join(', ')}>{f.genes.join(', ')}</span> },
    { key: 'prevalence', label: 'Prevalence', unit: '%', width: 112, align: 'right', render: (f) => <span className="num">{(100 * f.prevalence).toFixed(1)}</span> },
    { key: 'count', label: 'Cell lines', width: 84, align: 'right', render: (f) => <span className="num">{formatInt(f.count)}</span> },
  ];
  const p = preview.data;

  return (
    <section className="view subgroups-view" data-testid="view-subgroups">
      <h2>Patient subgroups</h2>
      <div className="subgroups-grid">
        <div className="panel catalogue" data-testid="catalogue">
          <div className="panel-head">
            <h3>Genotype catalogue</h3>
            {catalogue.data && (
              <span className="muted small">
                {catalogue.data.panel} · {formatInt(catalogue.data.cellLines)} cell lines · {formatInt(catalogue.data.features.length)} features
              </span>
            )}
          </div>
          <ErrorBox error={catalogue.error} title="Catalogue unavailable" />
          <div className="form-row">
            <input placeholder="Find a gene or feature…" value={text} onChange={(e) => setText(e.target.value)} data-testid="feature-search" />
            <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} aria-label="Feature kind">
              <option value="">all kinds</option>
              <option value="mutation">mutations</option>
              <option value="cna_gain">copy-number gains</option>
              <option value="cna_loss">copy-number losses</option>
            </select>
          </div>
          <div className="feature-grid">
            <VirtualTable
              testId="feature-grid"
              columns={featureColumns}
              rowCount={features.length}
              rowHeight={26}
              getRow={(i) => features[i]}
              rowKey={(f, i) => f?.name ?? i}
              onRowClick={(f) => insert(ruleWord(f.name))}
              emptyText={catalogue.data ? 'No feature matches.' : undefined}
            />
          </div>
          {catalogue.data && (
            <div className="chips-lists">
              <div>
                <h4>Tissues</h4>
                <div className="chips">
                  {catalogue.data.tissues.map((t) => (
                    <button type="button" className="chip" key={t.name} onClick={() => insert(`tissue=${ruleWord(t.name)}`)} title={`tissue=${t.name} · ${t.count} cell lines`} data-testid="tissue-chip">
                      {t.label} <span className="muted">{t.count}</span>
                    </button>
                  ))}
                </div>
              </div>
              <div>
                <h4>MSI status</h4>
                <div className="chips">
                  {catalogue.data.msi.map((t) => (
                    <button type="button" className="chip" key={t.name} onClick={() => insert(`msi=${ruleWord(t.name)}`)} title={`${t.count} cell lines`}>
                      {t.name} <span className="muted">{t.count}</span>
                    </button>
                  ))}
                </div>
              </div>
            </div>
          )}
          <p className="muted small">Click a feature, tissue or MSI status to add it to the rule with the chosen operator. ★ curated cancer driver genes, listed first.</p>
        </div>

        <div className="panel editor" data-testid="subgroup-editor">
          <h3>Presets</h3>
          <ErrorBox error={presets.error} title="Presets unavailable" />
          <div className="chips presets" data-testid="presets">
            {presets.data?.map((p) => (
              <button
                type="button"
                className="chip"
                key={p.name}
                title={`${p.rule} — ${p.note}${p.warning ? ` (${p.warning})` : ''}`}
                onClick={() => {
                  setName(p.name);
                  setRule(p.rule);
                }}
                data-testid="preset"
              >
                {p.name} <span className={p.warning ? 'warn' : 'muted'} data-testid="preset-members">{formatInt(p.members)}</span>
              </button>
            ))}
          </div>
          <p className="muted small">Preset: a driver mutation in its tissue; the number is its cell lines in the reference panel. Click to load it into the rule.</p>
          <h3>Rule</h3>
          <div className="rule-ops" role="radiogroup" aria-label="Operator for the next term" data-testid="rule-ops">
            <span className="muted small">Add the next clicked term with</span>
            {(['AND', 'OR', 'NOT'] as const).map((o) => (
              <label key={o} className={`op ${op === o ? 'active' : ''}`} title={o === 'NOT' ? 'AND NOT: exclude cell lines with it' : o === 'OR' ? 'either this or the rule so far' : 'both the rule so far and this'}>
                <input type="radio" name="rule-op" value={o} checked={op === o} onChange={() => setOp(o)} data-testid={`rule-op-${o}`} />
                {o === 'NOT' ? 'AND NOT' : o}
              </label>
            ))}
          </div>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <label>
              Name
              <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. BRAF mutant melanoma" data-testid="subgroup-name" />
            </label>
            <label>
              Rule
              <textarea
                className="mono"
                rows={4}
                value={rule}
                onChange={(e) => setRule(e.target.value)}
                placeholder="e.g. BRAF_mut AND tissue=skin AND NOT KRAS_mut"
                data-testid="subgroup-rule"
              />
            </label>
            <div className="preview" data-testid="subgroup-preview" aria-live="polite">
              {!liveRule && <span className="muted">Type a rule to see how many reference cell lines it selects.</span>}
              {liveRule && preview.loading && <span className="muted">Counting…</span>}
              {liveRule && p && !preview.loading && (
                <>
                  <span>
                    <b data-testid="preview-members">{formatInt(p.members)}</b> members · {formatInt(p.complement)} in the complement · of {formatInt(p.total)} cell lines
                  </span>
                  <span className="mono small muted" data-testid="preview-normalised">{p.normalised}</span>
                  {p.warning && <span className="warn" data-testid="preview-warning">{p.warning}</span>}
                </>
              )}
              <ErrorBox error={liveRule ? preview.error : null} title="Rule" />
            </div>
            <button type="submit" className="primary" disabled={!name.trim() || !rule.trim()} data-testid="subgroup-save">
              Save subgroup
            </button>
            {savedMsg && <span className="ok" data-testid="subgroup-saved"> {savedMsg}</span>}
            <ErrorBox error={saveError} title="Save failed" />
          </form>

          <h3>Saved subgroups</h3>
          <ErrorBox error={saved.error} />
          <table className="dense" data-testid="saved-subgroups">
            <thead>
              <tr>
                <th>Name</th>
                <th>Rule</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {saved.data?.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    None yet.
                  </td>
                </tr>
              )}
              {saved.data?.map((d) => (
                <tr key={d.name} data-testid="saved-subgroup">
                  <td>{d.name}</td>
                  <td className="mono small">{d.rule}</td>
                  <td className="small">{formatDate(d.createdAt)}</td>
                  <td className="nowrap">
                    <button
                      type="button"
                      className="link"
                      onClick={() => {
                        setName(d.name);
                        setRule(d.rule);
                      }}
                    >
                      Edit
                    </button>
                    <button type="button" className="link danger" onClick={() => void remove(d)} aria-label={`Delete ${d.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}
