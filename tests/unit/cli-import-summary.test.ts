import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanImport } from '../../core/cli/main.js';
import type { ImportSummary } from '../../core/api/contract.js';

const file = (over: Partial<ImportSummary['files'][number]>): ImportSummary['files'][number] => ({
  file: 'lib.csv', sourceId: 1, read: 0, imported: 0, duplicates: 0, failed: 0, resumedFrom: 0, skippedAsAlreadyImported: false, error: null, ...over,
});

test('import summary: a file that stopped part-way says what it kept; one never read says not imported', () => {
  const text = humanImport({
    files: [
      file({ file: 'changed.csv', read: 1200, imported: 1100, duplicates: 60, failed: 40, error: 'changed during import, not complete: size 10 → 5' }),
      file({ file: 'missing.csv', sourceId: 2, error: 'no such file' }),
    ],
    read: 1200, imported: 1100, duplicates: 60, failed: 40, failures: [], notes: [], seconds: 2, cancelled: false,
  });
  assert.match(text, /changed\.csv: STOPPED after 1,?200 records \(imported 1,?100, duplicates 60, failed 40 kept\): changed during import/);
  assert.match(text, /missing\.csv: NOT IMPORTED: no such file/);
});
