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
  assert.equal((await restricted('renderer/src/probe.ts', "import Database from 'better-sqlite3-multiple-ciphers';\nexport const y = Database;\n")).length, 1);
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

async function sqlOutsideStore(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-syntax' || (m.ruleId === 'no-restricted-imports' && /SQLite|migration/.test(m.message))).map((m) => m.message);
}

test('all SQL lives in core/store: elsewhere no SQLite driver, no migration, no statement', async () => {
  const driver = "import Database from 'better-sqlite3-multiple-ciphers';\nexport const y = Database;\n";
  const migration = "import { DESCRIPTOR_COLUMNS_V1 } from '../store/migrations/001-initial.js';\nexport const y = DESCRIPTOR_COLUMNS_V1;\n";
  const statements = [
    "export const f = (db: { prepare(s: string): unknown }) => db.prepare('SELECT 1');\n",
    "export const f = (db: { pragma(s: string): unknown }) => db.pragma('wal_checkpoint(TRUNCATE)');\n",
    'export const f = (db: { transaction(fn: () => void): unknown }) => db.transaction(() => undefined);\n',
    "export const f = (db: { exec(s: string): unknown }, t: string) => db.exec(`DELETE FROM ${t}`);\n",
  ];
  for (const file of ['core/library/probe.ts', 'core/shard/probe.ts', 'workers/probe.ts', 'electron/probe.ts']) {
    assert.equal((await sqlOutsideStore(file, driver)).length, 1, file);
    for (const s of statements) assert.equal((await sqlOutsideStore(file, s)).length, 1, `${file}: ${s}`);
  }
  assert.equal((await sqlOutsideStore('core/library/probe.ts', migration)).length, 1);
  // The store itself speaks SQL; a regular expression's exec is not SQL.
  assert.deepEqual(await sqlOutsideStore('core/store/probe.ts', driver + statements[0] + migration.replace('../store/migrations', './migrations').replace('export const y', 'export const z')), []);
  assert.deepEqual(await sqlOutsideStore('core/library/probe.ts', 'export const m = (s: string) => /^a(b)$/.exec(s);\n'), []);
  // The layering rules the store block extends still hold for the files it covers.
  assert.equal((await restricted('core/library/probe.ts', "import { app } from 'electron';\nexport const y = app;\n")).length, 1);
  assert.equal((await restricted('electron/probe.ts', "import { App } from '../renderer/src/App.js';\nexport const y = App;\n")).length, 1);
  assert.deepEqual(await restricted('electron/probe.ts', "import { app } from 'electron';\nexport const y = app;\n"), []);
});
