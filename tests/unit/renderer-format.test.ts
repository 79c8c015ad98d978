/** Number formats of the views (renderer/src/lib/format.ts): potency units, per-column decimals, log10 differences. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnDecimals, formatColumn, formatConcentration, formatFixed, formatIc50, formatValue, lnToLog10, pIc50FromLn } from '../../renderer/src/lib/format.js';

test('IC50: nM below 1 µM (never 0.00 µM), µM up to 1000 µM, mM above; 3 significant digits', () => {
  assert.equal(formatConcentration(0.0042), '4.20 nM');
  assert.equal(formatConcentration(0.00042), '0.420 nM');
  assert.equal(formatConcentration(0.123), '123 nM');
  assert.equal(formatConcentration(0.9996), '1.00 µM', 'rounds before choosing the unit');
  assert.equal(formatConcentration(1), '1.00 µM');
  assert.equal(formatConcentration(12.345), '12.3 µM');
  assert.equal(formatConcentration(999.4), '999 µM');
  assert.equal(formatConcentration(999.6), '1.00 mM');
  assert.equal(formatConcentration(2500), '2.50 mM');
  assert.equal(formatConcentration(null), '');
  // From ln IC50 (µM), as the model and the ranking store it.
  assert.equal(formatIc50(Math.log(0.05)), '50.0 nM');
  assert.equal(formatIc50(Math.log(3.2)), '3.20 µM');
  for (const ln of [-12, -8, -3, -0.5, 0, 2, 5, 7, 9]) assert.doesNotMatch(formatIc50(ln), /^0\.00 /, `ln ${ln}`);
});

test('one format per column: MW 0.1, logP 0.01, TPSA 0.1, QED 0.001, counts integers', () => {
  assert.equal(formatColumn('amw', 453.9123), '453.9');
  assert.equal(formatColumn('exactmw', 453.91234), '453.9123');
  assert.equal(formatColumn('CrippenClogP', 4.5678), '4.57');
  assert.equal(formatColumn('CrippenClogP', -0.004), '0.00', 'no minus zero');
  assert.equal(formatColumn('CrippenClogP', -1.234), '−1.23', 'U+2212 minus');
  assert.equal(formatColumn('tpsa', 91.94), '91.9');
  assert.equal(formatColumn('QED', 0.40123), '0.401');
  assert.equal(formatColumn('NumHBA', 5), '5');
  assert.equal(formatColumn('NumRotatableBonds', 7), '7');
  assert.equal(formatColumn('lipinskiHBD', 2), '2');
  assert.equal(formatColumn('chi0v', 15.4321), '15.43');
  assert.equal(formatColumn('Phi', 7.8912), '7.89');
  assert.equal(formatColumn('_similarity', 0.51234), '0.512');
  assert.equal(columnDecimals('prop:Solubility'), null);
  assert.equal(formatColumn('prop:Solubility', 0.012345), '0.012', 'no column format: formatNumber as before');
  // formatValue with a key is formatColumn; without one it stays as before.
  assert.equal(formatValue(453.9123, 'number', 'amw'), '453.9');
  assert.equal(formatValue(453.9123), '453.9');
  assert.equal(formatValue(1, 'boolean', 'lipinski_pass'), 'yes');
  assert.equal(formatFixed(2e9, 1), '2.00e+9');
});

test('potency differences in log10 units: Δ ln / ln 10, pIC50 from ln IC50 (µM)', () => {
  assert.ok(Math.abs(lnToLog10(Math.log(10)) - 1) < 1e-12, '10-fold = 1');
  assert.equal(lnToLog10(null), null);
  assert.ok(Math.abs(pIc50FromLn(Math.log(1)) - 6) < 1e-12, '1 µM = pIC50 6');
  assert.ok(Math.abs(pIc50FromLn(Math.log(0.01)) - 8) < 1e-12, '10 nM = pIC50 8');
});
