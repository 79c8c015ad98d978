/**
 * The one place where predictions meet a compound's declared mechanism.
 *
 * Both prediction paths — `strata screen` / `screen.run` (compounds of a project, mechanism as stored by
 * import or `compounds.annotate`) and `strata predict` (compounds of a file, mechanism read from its
 * `targets` / `target_pathway` columns) — gather each compound's {@link DeclaredMechanism}, get the
 * structure-only predictions from the ONNX model, and then call {@link applyDeclaredMechanism} once per batch,
 * before anything aggregates or writes the predictions.
 *
 * Today no mechanism-aware model exists: the step changes nothing and every compound's evidence is
 * 'structure'. The mechanism-aware model (transfer from training drugs sharing a target or pathway,
 * `core/predict/transfer.ts`) is called here; it may rewrite `predictions` in place and return a better
 * evidence tier per compound, which the screen stores with each ranked row.
 */
import type { EvidenceTier } from '../api/contract.js';
import { splitTargets } from '../mechanism/targets.js';
import type { LoadedModel } from './registry.js';

/** A compound's declared mechanism as prediction takes it: normalised target names and pathway (null: none declared). */
export type DeclaredMechanism = { targets: string[]; pathway: string | null } | null;

/** The declared mechanism from stored (or read) targets text and pathway; null when neither is declared. */
export function declaredMechanism(targets: string | null | undefined, pathway: string | null | undefined): DeclaredMechanism {
  return targets || pathway ? { targets: splitTargets(targets), pathway: pathway || null } : null;
}

export interface MechanismStep {
  model: LoadedModel;
  /** Compounds in this batch. */
  n: number;
  /** Samples (cell lines or a lab's panel) per compound. */
  nSamples: number;
  /** `mechanism[i]`: compound i's declared mechanism (length n). */
  mechanism: readonly DeclaredMechanism[];
  /** Morgan fingerprints (r = 2, 2048 bits), n × FP_BYTES, compound-major: structural neighbours. */
  fingerprints: Uint8Array;
  /** The samples' genotype input, nSamples × the manifest's genotype features. */
  genotypes: Float32Array;
  /** Structure-only predicted ln IC50 (µM), n × nSamples, compound-major; the step may change them in place. */
  predictions: Float32Array;
}

export interface MechanismOutcome {
  /** What compound i's genotype dependence rests on (length n). */
  evidence: EvidenceTier[];
}

/** Apply the declared mechanism to one batch of predictions (see the module comment). */
export async function applyDeclaredMechanism(step: MechanismStep): Promise<MechanismOutcome> {
  if (step.mechanism.length !== step.n) throw new Error(`applyDeclaredMechanism: ${step.mechanism.length} mechanisms for ${step.n} compounds`);
  if (step.predictions.length < step.n * step.nSamples) throw new Error(`applyDeclaredMechanism: ${step.predictions.length} predictions for ${step.n} × ${step.nSamples}`);
  // No mechanism-aware model yet: structure-only predictions, unchanged.
  return { evidence: new Array<EvidenceTier>(step.n).fill('structure') };
}
