import type { Engine } from '../engine.js';
import type { ApiClient } from '../api/client.js';
import type { ScreenOutput } from '../screen/screen.js';
import { writeRankedFile } from '../export/ranked.js';
import { logProvenance } from '../library/provenance.js';

/** The CLI's `screen --out`: every subgroup's ranked rows (or the top N of each) in one file. */
export async function writeRanked(s: { engine: Engine; api: ApiClient }, out: string, screen: ScreenOutput, top?: number, overwrite = false): Promise<void> {
  const rows = [...screen.rankings.values()].flatMap((r) => r.rows(top || undefined));
  await writeRankedFile(s.engine.store, await s.engine.pool(), { out, projectPath: s.engine.projectFile, overwrite, result: screen.result, rows });
  await logProvenance(s.engine.store, 'screen.export', { out, top: top ?? null, runId: screen.result.runId }, { rows: rows.length });
}
