import type { Migration } from './index.js';

/**
 * A compound's declared mechanism, and the screen's selectivity interval and evidence tier.
 * - compounds.targets: normalised targets (`normaliseTargets`, display names joined by ", "), NULL = none declared;
 *   compounds.target_pathway: the vocabulary's pathway name (or the text as given when unknown), NULL = none.
 *   Indexed so that sorting and filtering the library by them does not scan the table.
 * - screen_results.selectivity_low/high: the calibrated interval of the selectivity (ln units), NULL for older runs;
 *   screen_results.evidence: 'target' | 'pathway' | 'neighbour' | 'structure', NULL for older runs (read as 'structure').
 * - import_issues.kind: 'failure' (a record that was not imported; the only kind before this version) or 'note'
 *   (something the user should know about an imported record, e.g. a target no training drug carries). The one-issue-per-
 *   record index now holds for failures only: a record can have a failure, or any number of notes.
 */
export const migration004: Migration = {
  version: 4,
  name: 'declared mechanism (targets, pathway), selectivity interval and evidence tier, import notes',
  up(db) {
    db.exec(`
      ALTER TABLE compounds ADD COLUMN targets TEXT;
      ALTER TABLE compounds ADD COLUMN target_pathway TEXT;
      CREATE INDEX compounds_targets ON compounds(targets);
      CREATE INDEX compounds_target_pathway ON compounds(target_pathway);
      ALTER TABLE screen_results ADD COLUMN selectivity_low REAL;
      ALTER TABLE screen_results ADD COLUMN selectivity_high REAL;
      ALTER TABLE screen_results ADD COLUMN evidence TEXT CHECK (evidence IN ('target','pathway','neighbour','structure'));
      ALTER TABLE import_issues ADD COLUMN kind TEXT NOT NULL DEFAULT 'failure' CHECK (kind IN ('failure','note'));
      DROP INDEX import_issues_source_record;
      CREATE UNIQUE INDEX import_issues_source_record ON import_issues(source_id, record_no) WHERE kind = 'failure';
    `);
  },
};
