/**
 * Hit-list and tag edits from anywhere in the UI (library toolbar, the grid's context menu, plot and ranking
 * selections). Every edit goes through the API (validated, written through the engine's write queue, undoable
 * with `edits.undo`); listeners refetch what they show.
 */
import type { ApiClient } from '../../../core/api/client.js';
import type { HitList } from '../../../core/api/contract.js';

type Listener = () => void;
const listeners = new Set<Listener>();

/** Subscribe to "a hit list, tag or other undoable edit changed". */
export function onWorkChanged(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function workChanged(): void {
  for (const l of [...listeners]) l();
}

/**
 * Adds compounds (each standing for its structure) to a hit list, given by id or by name (created when no list
 * has that name). For the grid's context menu: `addToHitList(api, ids, { name: 'Leads' })`.
 */
export async function addToHitList(api: ApiClient, ids: readonly number[], list: { id: number } | { name: string }): Promise<{ list: HitList; changed: number }> {
  let target: HitList | undefined;
  if ('id' in list) target = (await api.call('hitlists.list', {})).find((l) => l.id === list.id);
  else {
    const name = list.name.trim();
    target = (await api.call('hitlists.list', {})).find((l) => l.name.toLowerCase() === name.toLowerCase()) ?? (await api.call('hitlists.create', { name }));
  }
  if (!target) throw new Error(`no hit list with id ${(list as { id: number }).id}`);
  const r = await api.call('hitlists.add', { id: target.id, ids: [...ids] });
  workChanged();
  return { list: { ...target, members: r.members }, changed: r.changed };
}

export async function removeFromHitList(api: ApiClient, ids: readonly number[], listId: number): Promise<number> {
  const r = await api.call('hitlists.remove', { id: listId, ids: [...ids] });
  workChanged();
  return r.changed;
}
