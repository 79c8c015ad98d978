/** Option parsers shared by several commands. */
import { InvalidArgumentError } from 'commander';
import { DEFAULT_THRESHOLD_UM } from '../predict/probability.js';

export const RESPONSE_THRESHOLD_HELP = `IC50 threshold of the probability of response p_response = P(IC50 < threshold), in µM (default ${DEFAULT_THRESHOLD_UM})`;

/** `--response-threshold <µM>`: a concentration > 0. */
export function responseThreshold(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !(n > 0)) throw new InvalidArgumentError(`give an IC50 in µM > 0 (e.g. 1 or 0.1), not '${v}'`);
  return n;
}
