/**
 * The desktop shell's rule: the engine gets only paths the user picked in a dialog (or shipped
 * examples); any other string the page sends to library.import or export.write is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PathGrants } from '../../electron/path-grants.js';
import { pathArguments } from '../../core/host/paths.js';

test('only dialog-chosen files and examples may be imported; only save-dialog paths written', () => {
  const g = new PathGrants(['/opt/strata/resources/examples']);
  assert.match(g.check('library.import', { files: ['/home/u/.ssh/id_rsa'] }) ?? '', /Choose files/);
  assert.match(g.check('export.write', { out: '/home/u/.bashrc' }) ?? '', /Choose…/);
  assert.equal(g.check('library.import', { files: ['/opt/strata/resources/examples/approved.sdf'] }), null);
  assert.match(g.check('library.import', { files: ['/opt/strata/resources/examples/../../../../etc/passwd'] }) ?? '', /Choose files/);
  g.grantRead(['/home/u/libs/a.sdf']);
  assert.equal(g.check('library.import', { files: ['/home/u/libs/a.sdf'] }), null);
  assert.match(g.check('library.import', { files: ['/home/u/libs/a.sdf', '/etc/shadow'] }) ?? '', /etc\/shadow/);
  // A read grant is not a write grant.
  assert.notEqual(g.check('export.write', { out: '/home/u/libs/a.sdf' }), null);
  g.grantWrite('/home/u/out/hits.csv');
  assert.equal(g.check('export.write', { out: '/home/u/out/hits.csv', format: 'csv' }), null);
  assert.equal(g.check('compounds.query', { offset: 0, limit: 10 }), null);
});

test('pathArguments names every path-taking method input', () => {
  assert.deepEqual(pathArguments('library.import', { files: ['a', 'b'] }), { read: ['a', 'b'], write: [] });
  assert.deepEqual(pathArguments('export.write', { out: path.join('x', 'y.csv') }), { read: [], write: [path.join('x', 'y.csv')] });
  assert.deepEqual(pathArguments('subgroups.save', { name: 'n', rule: 'r' }), { read: [], write: [] });
});
