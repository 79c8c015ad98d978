/**
 * Declare the mechanism of one compound or a selection: targets as free text with the training drugs'
 * targets as suggestions, the pathway from the training drugs' vocabulary or "other…" (free text).
 * Saves through compounds.annotate; says plainly when a target or pathway matches no training drug.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { AnnotateResult } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall } from '../hooks.js';
import { ErrorBox } from './ErrorBox.js';
import { formatInt } from '../lib/format.js';

const OTHER = '__other__';

export function MechanismEditor(props: { ids: number[]; targets?: string | null; pathway?: string | null; onSaved?(r: AnnotateResult): void; compact?: boolean }) {
  const { api, bumpData } = useApp();
  const vocab = useCall('mechanism.vocabulary', {});
  const listId = useId();
  const [targets, setTargets] = useState(props.targets ?? '');
  // A stored pathway outside the vocabulary is shown as "other…" with its text (known once the vocabulary arrives).
  const pathwayChoice = (p: string | null | undefined) => {
    const known = !p || !vocab.data || vocab.data.pathways.some((x) => x.name === p);
    return { choice: !p ? '' : known ? p : OTHER, other: known ? '' : p };
  };
  const [choice, setChoice] = useState(pathwayChoice(props.pathway).choice);
  const [other, setOther] = useState(pathwayChoice(props.pathway).other);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState<AnnotateResult | null>(null);
  // Follow the compound shown and its stored values (after a save too). The vocabulary's arrival only
  // decides whether the stored pathway is "other…", and never undoes what the user has typed or chosen.
  const idsKey = props.ids.join(',');
  const touched = useRef(false);
  useEffect(() => {
    setTargets(props.targets ?? '');
  }, [props.targets, idsKey]);
  useEffect(() => {
    touched.current = false;
  }, [props.pathway, idsKey]);
  useEffect(() => {
    if (touched.current) return;
    const c = pathwayChoice(props.pathway);
    setChoice(c.choice);
    setOther(c.other);
  }, [props.pathway, idsKey, vocab.data]);
  const choose = (value: string) => {
    touched.current = true;
    setChoice(value);
  };

  const pathway = choice === OTHER ? other.trim() : choice;
  const save = async (clear: boolean) => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const r = await api.call('compounds.annotate', clear ? { ids: props.ids, targets: null, pathway: null } : { ids: props.ids, targets: targets.trim() || null, pathway: pathway || null });
      setSaved(r);
      bumpData();
      props.onSaved?.(r);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className={`mechanism-editor${props.compact ? ' compact' : ''}`} data-testid="mechanism-editor" onSubmit={(e) => { e.preventDefault(); void save(false); }}>
      <label>
        Targets
        <input
          list={listId}
          value={targets}
          onChange={(e) => setTargets(e.target.value)}
          placeholder="e.g. BRAF, MEK1/2"
          data-testid="mechanism-targets"
          aria-label="Declared targets"
        />
      </label>
      <datalist id={listId}>
        {vocab.data?.targets.map((t) => (
          <option key={t.name} value={t.name}>{`${t.drugs} training drug${t.drugs === 1 ? '' : 's'}`}</option>
        ))}
      </datalist>
      <label>
        Pathway
        <select value={choice} onChange={(e) => choose(e.target.value)} data-testid="mechanism-pathway" aria-label="Declared target pathway">
          <option value="">— none —</option>
          {vocab.data?.pathways.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name} ({p.drugs})
            </option>
          ))}
          <option value={OTHER}>other…</option>
        </select>
      </label>
      {choice === OTHER && (
        <label>
          Other pathway
          <input value={other} onChange={(e) => setOther(e.target.value)} placeholder="pathway name" data-testid="mechanism-pathway-other" aria-label="Other pathway" />
        </label>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !props.ids.length} data-testid="mechanism-save">
          {props.ids.length > 1 ? `Annotate ${formatInt(props.ids.length)} compounds` : 'Save mechanism'}
        </button>
        <button type="button" disabled={busy || !props.ids.length} onClick={() => void save(true)} data-testid="mechanism-clear">
          Clear
        </button>
      </div>
      <ErrorBox error={error ?? vocab.error} title="Could not save the mechanism" />
      {saved && (
        <div className="small" data-testid="mechanism-saved" aria-live="polite">
          Saved for {formatInt(saved.structures)} structure{saved.structures === 1 ? '' : 's'} ({formatInt(saved.compounds)} record{saved.compounds === 1 ? '' : 's'} with duplicates).
          {saved.unknownTargets.length > 0 && (
            <div className="warn" data-testid="mechanism-unknown-targets">
              No training drug has {saved.unknownTargets.join(', ')}: kept, but {saved.unknownTargets.length === 1 ? 'it carries' : 'they carry'} no genotype information to the prediction.
            </div>
          )}
          {saved.pathwayKnown === false && (
            <div className="warn" data-testid="mechanism-unknown-pathway">
              “{saved.pathway}” is not a pathway of the training drugs: kept as written.
              {saved.pathwaySuggestions.length > 0 && ` Closest: ${saved.pathwaySuggestions.join(', ')}.`}
            </div>
          )}
        </div>
      )}
    </form>
  );
}
