import type { Migration } from './index.js';

/**
 * Probability of response stored with each ranked row, and the run's threshold.
 * - screen_results.p_response: P(subgroup mean IC50 < threshold) as computed when the run ranked (the model's
 *   calibration, core/predict/probability.ts); NULL for older runs, which are read as before (the interval as a
 *   normal distribution at 1 µM). Stored so that sorting by it is an indexable column, not a formula per tier.
 * - screen_runs.response_threshold_um: the threshold in µM; NULL for older runs (1 µM).
 */
export const migration009: Migration = {
  version: 9,
  name: 'probability of response per ranked row, response threshold per run',
  up(db) {
    db.exec(`
      ALTER TABLE screen_results ADD COLUMN p_response REAL;
      ALTER TABLE screen_runs ADD COLUMN response_threshold_um REAL;
    `);
  },
};
