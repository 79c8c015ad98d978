/**
 * Hit lists and other work that persists: the library's hit-list bar (filter to a list, show selected only,
 * add/remove the selection, export a list), "add to hit list" for any selection (ranking, plots), the run
 * picker of the Ranking view, the undo button, and a compound's tags and lists.
 */
import { useEffect, useState } from 'react';
import type { CompoundDetail, CompoundQuery, EditInfo, HitList } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall } from '../hooks.js';
import { addToHitList, onWorkChanged, removeFromHitList, workChanged } from '../lib/hitlists.js';
import { formatInt } from '../lib/format.js';
import { ErrorBox } from './ErrorBox.js';

/** The project's hit lists, refetched after every edit. */
function useHitLists(): { lists: HitList[]; error: Error | null } {
  const [tick, setTick] = useState(0);
  useEffect(() => onWorkChanged(() => setTick((t) => t + 1)), []);
  const r = useCall('hitlists.list', {}, [tick]);
  return { lists: r.data ?? [], error: r.error };
}

/** A select of the lists plus "New list…" and a button: adds `ids` to the chosen list. */
export function AddToHitList({ ids, testId = 'add-to-list' }: { ids: readonly number[]; testId?: string }) {
  const { api } = useApp();
  const { lists } = useHitLists();
  const [choice, setChoice] = useState('');
  const [name, setName] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const add = async () => {
    setError(null);
    setNote(null);
    try {
      const byName = choice === '' || choice === 'new';
      if (byName && !name.trim()) throw new Error('name the new hit list');
      const r = await addToHitList(api, ids, byName ? { name } : { id: Number(choice) });
      setChoice(String(r.list.id));
      setName('');
      setNote(`${formatInt(r.changed)} added to '${r.list.name}' (${formatInt(r.list.members)})`);
    } catch (e) {
      setError(e as Error);
    }
  };
  const creating = choice === '' ? lists.length === 0 : choice === 'new';
  return (
    <span className="hitlist-add" data-testid={testId}>
      <select value={creating ? 'new' : choice} onChange={(e) => setChoice(e.target.value)} aria-label="Hit list to add to" data-testid={`${testId}-list`}>
        {lists.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name} ({formatInt(l.members)})
          </option>
        ))}
        <option value="new">New list…</option>
      </select>
      {creating && <input placeholder="New list name" value={name} onChange={(e) => setName(e.target.value)} aria-label="New hit list name" data-testid={`${testId}-name`} />}
      <button type="button" disabled={!ids.length} onClick={add} data-testid={`${testId}-go`} title="Add the selected compounds (each with its duplicates) to the list">
        Add {formatInt(ids.length)} to list
      </button>
      {note && <span className="muted small" data-testid={`${testId}-note`}>{note}</span>}
      {error && <span className="warn small">{error.message}</span>}
    </span>
  );
}

/** The Library's hit-list row: which list the grid shows, selected-only, add/remove, export. */
export function HitListBar() {
  const { api, query, setQuery, selection, navigate, bumpData } = useApp();
  const { lists, error } = useHitLists();
  // The grid may show a list (or tags) that an edit or an undo just changed.
  useEffect(() => onWorkChanged(bumpData), [bumpData]);
  const current = lists.find((l) => l.id === query.hitList) ?? null;
  const ids = [...selection];
  const setList = (v: string) => {
    const q: CompoundQuery = { ...query };
    if (v) q.hitList = Number(v);
    else delete q.hitList;
    setQuery(q);
  };
  const selectedOnly = query.ids !== undefined;
  const toggleSelected = (on: boolean) => {
    const q: CompoundQuery = { ...query };
    if (on) q.ids = ids;
    else delete q.ids;
    setQuery(q);
  };
  return (
    <div className="hitlist-bar" data-testid="hitlist-bar">
      <label className="compact">
        Show{' '}
        <select value={query.hitList ?? ''} onChange={(e) => setList(e.target.value)} data-testid="hitlist-filter" aria-label="Show a hit list">
          <option value="">all compounds</option>
          {lists.map((l) => (
            <option key={l.id} value={l.id}>
              hit list: {l.name} ({formatInt(l.members)})
            </option>
          ))}
        </select>
      </label>
      <label className="check" title="Show only the selected rows (the query's sort and filters still apply)">
        <input type="checkbox" checked={selectedOnly} disabled={!selectedOnly && !ids.length} onChange={(e) => toggleSelected(e.target.checked)} data-testid="selected-only" /> Selected only
        {selectedOnly && ` (${formatInt(query.ids!.length)})`}
      </label>
      {ids.length > 0 && <AddToHitList ids={ids} />}
      {current && ids.length > 0 && (
        <button type="button" className="link" onClick={() => removeFromHitList(api, ids, current.id)} data-testid="remove-from-list">
          Remove selected from '{current.name}'
        </button>
      )}
      {current && (
        <button type="button" className="link" onClick={() => navigate({ view: 'export' })} data-testid="export-list" title="Export the library query, which now shows this list">
          Export '{current.name}'…
        </button>
      )}
      {current && (
        <button
          type="button"
          className="link danger"
          onClick={async () => {
            await api.call('hitlists.delete', { id: current.id });
            setList('');
            workChanged();
          }}
          data-testid="delete-list"
        >
          Delete list
        </button>
      )}
      <ErrorBox error={error} title="Hit lists unavailable" />
    </div>
  );
}

/** The newest undoable edit of this session and a button that takes it back. */
export function UndoButton() {
  const { api, bumpData } = useApp();
  const [last, setLast] = useState<EditInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const refresh = () => api.call('edits.list', {}).then((l) => setLast(l[0] ?? null), () => setLast(null));
    refresh();
    return onWorkChanged(refresh);
  }, [api]);
  if (!last) return null;
  return (
    <button
      type="button"
      className="undo"
      title={`Undo: ${last.label}${error ? ` (${error})` : ''}`}
      data-testid="undo"
      onClick={async () => {
        setError(null);
        try {
          await api.call('edits.undo', {});
          bumpData();
        } catch (e) {
          setError((e as Error).message);
        }
        workChanged();
      }}
    >
      ↶ Undo {last.label}
    </button>
  );
}

/** Stored runs of the project, newest first; choosing one shows it (and is kept in the project and URL). */
export function RunPicker() {
  const { runId, setRunId, api } = useApp();
  const [runs, setRuns] = useState<{ runId: number; at: string; subgroups: { rule: string }[] }[]>([]);
  useEffect(() => {
    api.call('screen.runs', { limit: 200 }).then(setRuns, () => setRuns([]));
  }, [api, runId]);
  if (runs.length < 2) return null;
  return (
    <label className="compact">
      Stored runs{' '}
      <select value={runId ?? ''} onChange={(e) => setRunId(Number(e.target.value))} data-testid="run-picker">
        {runs.map((r) => (
          <option key={r.runId} value={r.runId}>
            #{r.runId} · {r.at.slice(0, 16).replace('T', ' ')} · {r.subgroups.map((g) => g.rule).join(', ')}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Tags (add, remove) and hit lists of a compound's structure. */
export function CompoundWork({ d }: { d: CompoundDetail }) {
  const { api, navigate, query, setQuery, bumpData } = useApp();
  const [tag, setTag] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const change = async (req: { add?: string[]; remove?: string[] }) => {
    setError(null);
    try {
      await api.call('compounds.tag', { ids: [d.id], ...req });
      setTag('');
      workChanged();
      bumpData();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <div className="panel compound-work" data-testid="compound-work">
      <div className="panel-head">
        <h3>Tags and hit lists</h3>
        <AddToHitList ids={[d.id]} testId="compound-add-to-list" />
      </div>
      <div className="chips" data-testid="compound-tags">
        {d.tags.map((t) => (
          <span className="chip" key={t} data-testid="compound-tag">
            <button type="button" className="link" title="Show compounds with this tag" onClick={() => { setQuery({ ...query, tag: t }); navigate({ view: 'library' }); }}>{t}</button>
            <button type="button" aria-label={`Remove tag ${t}`} onClick={() => change({ remove: [t] })}>×</button>
          </span>
        ))}
        <form onSubmit={(e) => { e.preventDefault(); if (tag.trim()) change({ add: [tag.trim()] }); }}>
          <input placeholder="Add a tag" value={tag} onChange={(e) => setTag(e.target.value)} aria-label="Add a tag" data-testid="tag-input" />
        </form>
        {d.hitLists.length > 0 && <span className="muted small">in</span>}
        {d.hitLists.map((l) => (
          <button type="button" className="chip" key={l.id} onClick={() => { setQuery({ hitList: l.id }); navigate({ view: 'library' }); }} data-testid="compound-list">
            {l.name}
          </button>
        ))}
      </div>
      {error && <div className="warn small">{error.message}</div>}
    </div>
  );
}

/** Every field of every record of the structure, with the record each came from (one click to that record). */
export function RecordFields({ d }: { d: CompoundDetail }) {
  const { navigate } = useApp();
  // The record column is shown as soon as any field comes from another record than this one.
  const fromOthers = d.fields.some((f) => f.compoundId !== d.id);
  if (!d.fields.length) return <p className="muted">The source records carried no fields.</p>;
  return (
    <table className="dense record-fields" data-testid="properties">
      <thead>
        <tr>
          <th>Field</th>
          <th>Value</th>
          {fromOthers && <th title="The record (and file) the value comes from">Record</th>}
        </tr>
      </thead>
      <tbody>
        {d.fields.map((f) => (
          <tr key={`${f.name}:${f.compoundId}`} className={f.shown ? '' : 'muted'} data-testid="field-row" title={f.shown ? undefined : 'another record of this structure also has this field; filters and sorts use the first'}>
            <th>{f.name}</th>
            <td className="break">{f.value}</td>
            {fromOthers && (
              <td className="small">
                {f.compoundId === d.id ? (
                  <span>this record</span>
                ) : (
                  <button type="button" className="link" onClick={() => navigate({ view: 'compound', id: f.compoundId })} data-testid="field-record">
                    #{f.compoundId}
                  </button>
                )}{' '}
                <span className="muted" title={f.file}>{f.file}, record {formatInt(f.record)}</span>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
