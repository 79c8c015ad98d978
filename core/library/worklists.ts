/**
 * Work that persists: hit lists, tags, saved view states, the stored runs as `ScreenResult`s, and the
 * session's undo log for edits (annotations, tags, hit-list membership). SQL lives in core/store/worklists.ts.
 */
import { DEFAULT_THRESHOLD_UM } from '../predict/probability.js';
import { createHash } from 'node:crypto';
import type { AnnotateRequest, AnnotateResult, EditInfo, HitList, RunInfo, UiState } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { RunRow } from '../store/screen.js';
import { runRows } from '../store/screen.js';
import type { Store } from '../store/store.js';
import {
  changeMembers, changeTags, createHitList, deleteHitList, hitListRow, hitListRows, mechanismSnapshot, restoreHitList, restoreMechanism,
  revertTags, saveUiState, uiState,
} from '../store/worklists.js';
import { annotateCompounds } from './mechanism.js';

/** Edits kept for undo, per engine (a session): the newest this many. */
export const UNDO_DEPTH = 50;

interface Edit extends EditInfo {
  undo(): Promise<void>;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The session's undoable edits and the calls that make them. `changed` runs after every edit and undo (query caches). */
export class Worklists {
  private edits: Edit[] = [];
  private seq = 0;

  constructor(private store: Store, private changed: () => void) {}

  private push(label: string, undo: () => Promise<void>): void {
    this.edits.push({ seq: ++this.seq, at: new Date().toISOString(), label, undo });
    if (this.edits.length > UNDO_DEPTH) this.edits.shift();
    this.changed();
  }

  list(): EditInfo[] {
    return this.edits.map(({ seq, at, label }) => ({ seq, at, label })).reverse();
  }

  async undo(): Promise<{ undone: EditInfo | null }> {
    const e = this.edits.pop();
    if (!e) return { undone: null };
    try {
      await e.undo();
    } catch (err) {
      // Not undone (the project is read-only, say): it stays the newest edit.
      this.edits.push(e);
      throw err;
    }
    this.changed();
    return { undone: { seq: e.seq, at: e.at, label: e.label } };
  }

  async annotate(req: AnnotateRequest): Promise<AnnotateResult> {
    const before = mechanismSnapshot(this.store, req.ids);
    const r = await annotateCompounds(this.store, req);
    const what = [req.targets !== undefined ? 'targets' : '', req.pathway !== undefined ? 'pathway' : ''].filter(Boolean).join(' and ');
    this.push(`declared ${what} of ${plural(r.structures, 'structure')}`, () => restoreMechanism(this.store, before));
    return r;
  }

  async tag(req: { ids: number[]; add?: string[]; remove?: string[] }): Promise<{ added: number; removed: number }> {
    const add = [...new Set(req.add ?? [])];
    const remove = [...new Set(req.remove ?? [])].filter((t) => !add.includes(t));
    const { added, removed } = await changeTags(this.store, [...new Set(req.ids)], add, remove);
    if (added.length || removed.length) {
      const parts = [add.length ? `tagged ${add.map((t) => `'${t}'`).join(', ')}` : '', remove.length ? `untagged ${remove.map((t) => `'${t}'`).join(', ')}` : ''].filter(Boolean);
      this.push(`${parts.join(' and ')} (${plural(new Set([...added, ...removed].map(([s]) => s)).size, 'structure')})`, () => revertTags(this.store, added, removed));
    }
    return { added: added.length, removed: removed.length };
  }

  lists(): HitList[] {
    return hitListRows(this.store).map((h) => ({ id: h.id, name: h.name, createdAt: h.created_at, members: h.members }));
  }

  async create(name: string): Promise<HitList> {
    const h = await createHitList(this.store, name.trim());
    return { id: h.id, name: h.name, createdAt: h.created_at, members: 0 };
  }

  async remove(id: number): Promise<{ deleted: boolean }> {
    const l = await deleteHitList(this.store, id);
    this.push(`deleted hit list '${l.name}' (${plural(l.members.length, 'structure')})`, () => restoreHitList(this.store, { id, ...l }));
    return { deleted: true };
  }

  async members(id: number, ids: number[], add: boolean): Promise<{ changed: number; members: number }> {
    const { name, changed } = await changeMembers(this.store, id, [...new Set(ids)], add);
    if (changed.length) {
      this.push(add ? `added ${plural(changed.length, 'structure')} to '${name}'` : `removed ${plural(changed.length, 'structure')} from '${name}'`,
        async () => {
          await changeMembers(this.store, id, changed, !add, false);
        });
    }
    return { changed: changed.length, members: hitListRow(this.store, id)?.members ?? 0 };
  }
}

/** The same state always gets the same id (12 hex digits of its sha256): reloading a URL never piles up rows. */
export async function saveState(store: Store, state: UiState): Promise<{ id: string }> {
  const json = JSON.stringify(state);
  const id = createHash('sha256').update(json).digest('hex').slice(0, 12);
  await saveUiState(store, id, json);
  return { id };
}

export function loadState(store: Store, id?: string): { id: string; state: UiState } | null {
  const row = uiState(store, id);
  if (!row) return null;
  try {
    return { id: row.id, state: JSON.parse(row.state) as UiState };
  } catch {
    throw new ApiError('BAD_FILE', `saved view state ${row.id} of ${store.path} is not valid JSON`);
  }
}

function runInfo(r: RunRow & { seconds: number | null }): RunInfo {
  const groups = JSON.parse(r.subgroups) as { label: string; rule: string; members: number }[];
  return {
    runId: r.id, at: r.at, status: r.status as RunInfo['status'], modelId: r.model_id, modelSha256: r.model_sha256,
    weights: JSON.parse(r.weights) as RunInfo['weights'],
    // The shape screen.run finishes with: `rule` is the label the subgroup's rows are stored under.
    subgroups: groups.map((g) => ({ rule: g.label, normalised: g.rule, members: g.members, complement: 0, total: 0, warning: null })),
    compounds: r.compounds, seconds: r.seconds ?? 0, responseThresholdUm: r.response_threshold_um ?? DEFAULT_THRESHOLD_UM,
  };
}

export function listRuns(store: Store, req: { all?: boolean; limit?: number }): RunInfo[] {
  return runRows(store, !!req.all, req.limit ?? 100).map(runInfo);
}
