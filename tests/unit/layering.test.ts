/** The import rules between core/, workers/, electron/ and renderer/ (eslint.config.js) really bite. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function restricted(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('renderer: only the API contract and client from core; no Node, no electron, no engine modules', async () => {
  assert.deepEqual(await restricted('renderer/src/probe.ts', "import type { Api } from '../../core/api/contract.js';\nimport { createClient } from '../../core/api/client.js';\nexport type X = Api; export const y = createClient;\n"), []);
  assert.equal((await restricted('renderer/src/probe.ts', "import { createEngine } from '../../core/engine.js';\nexport const y = createEngine;\n")).length, 1);
  assert.equal((await restricted('renderer/src/probe.ts', "import fs from 'node:fs';\nexport const y = fs;\n")).length, 1);
  assert.equal((await restricted('renderer/src/probe.ts', "import { ipcRenderer } from 'electron';\nexport const y = ipcRenderer;\n")).length, 1);
  assert.equal((await restricted('renderer/src/probe.ts', "import Database from 'better-sqlite3';\nexport const y = Database;\n")).length, 1);
});

test('core and workers never import electron or the renderer', async () => {
  for (const file of ['core/probe.ts', 'workers/probe.ts']) {
    assert.equal((await restricted(file, "import { app } from 'electron';\nexport const y = app;\n")).length, 1, file);
    assert.equal((await restricted(file, "import { App } from '../renderer/src/App.js';\nexport const y = App;\n")).length, 1, file);
  }
  assert.deepEqual(await restricted('core/probe.ts', "import fs from 'node:fs';\nexport const y = fs;\n"), []);
});

test('electron never imports renderer source', async () => {
  assert.equal((await restricted('electron/probe.ts', "import { App } from '../renderer/src/App.js';\nexport const y = App;\n")).length, 1);
  assert.deepEqual(await restricted('electron/probe.ts', "import { createEngine } from '../core/engine.js';\nexport const y = createEngine;\n"), []);
});
