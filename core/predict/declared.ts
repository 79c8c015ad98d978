/**
 * The one place where predictions meet a compound's declared mechanism.
 *
 * Both prediction paths — `strata screen` / `screen.run` (compounds of a project, mechanism as stored by
 * import or `compounds.annotate`) and `strata predict` (compounds of a file, mechanism read from its
 * `targets` / `target_pathway` columns) — gather each compound's {@link DeclaredMechanism}, get the
 * structure-only predictions from the ONNX model, and then call {@link applyDeclaredMechanism} once per batch,
 * before anything aggregates or writes the predictions.
 *
 * A model with a transfer artifact (`transfer` in its manifest, core/predict/transfer.ts) adds to each compound's
 * row the genotype profile of the training drugs sharing its declared target or pathway, or of its close
 * structural neighbours, and moves its potency towards theirs; the step returns each compound's evidence tier and
 * the interval half-widths calibrated for that tier. A model without one leaves the predictions unchanged
 * (evidence 'structure', its own constant interval).
 */
import type { EvidenceTier } from '../api/contract.js';
import { FP_BYTES } from '../chem/types.js';
import { splitTargets } from '../mechanism/targets.js';
import type { LoadedModel } from './registry.js';
import { applyTransferRow, compoundTransfer, halfWidthsFor, loadTransfer, panelProfiles, type PanelProfiles, type TierHalfWidths, type TransferModel } from './transfer.js';

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
  /** The samples' ids (COSMIC ids for reference cell lines: those use their measured training profiles). */
  samples: readonly string[];
  /** `mechanism[i]`: compound i's declared mechanism (length n). */
  mechanism: readonly DeclaredMechanism[];
  /** Morgan fingerprints (r = 2, 2048 bits), n × FP_BYTES, compound-major: structural neighbours. */
  fingerprints: Uint8Array;
  /** Max Tanimoto of each compound to the training drugs (the applicability-domain score), length n. */
  domain: ArrayLike<number>;
  /** The samples' genotype input, nSamples × the manifest's genotype features. */
  genotypes: Float32Array;
  /** Structure-only predicted ln IC50 (µM), n × nSamples, compound-major; the step may change them in place. */
  predictions: Float32Array;
}

export type { TierHalfWidths } from './transfer.js';

export interface MechanismOutcome {
  /** What compound i's genotype dependence rests on (length n). */
  evidence: EvidenceTier[];
  /** Compound i's calibrated half-widths (its tier's, scaled by its evidence where calibrated so), or null when the model has no tier calibration. */
  halfWidths: TierHalfWidths[] | null;
}

const panels = new WeakMap<Float32Array, { tm: TransferModel; pp: PanelProfiles }>();

/** The model's transfer with the panel's profiles (computed once per panel input). */
function transferFor(step: MechanismStep): { tm: TransferModel; pp: PanelProfiles } | null {
  const t = step.model.manifest.transfer;
  if (!t) return null;
  const tm = loadTransfer(step.model.dir, t.file, t.sha256);
  const hit = panels.get(step.genotypes);
  if (hit && hit.tm === tm) return hit;
  const v = { tm, pp: panelProfiles(tm, step.samples, step.genotypes) };
  panels.set(step.genotypes, v);
  return v;
}

/** Apply the declared mechanism to one batch of predictions (see the module comment). */
export async function applyDeclaredMechanism(step: MechanismStep): Promise<MechanismOutcome> {
  if (step.mechanism.length !== step.n) throw new Error(`applyDeclaredMechanism: ${step.mechanism.length} mechanisms for ${step.n} compounds`);
  if (step.predictions.length < step.n * step.nSamples) throw new Error(`applyDeclaredMechanism: ${step.predictions.length} predictions for ${step.n} × ${step.nSamples}`);
  if (step.samples.length !== step.nSamples) throw new Error(`applyDeclaredMechanism: ${step.samples.length} sample ids for ${step.nSamples} samples`);
  const tr = transferFor(step);
  if (!tr) return { evidence: new Array<EvidenceTier>(step.n).fill('structure'), halfWidths: null };
  const { tm, pp } = tr;
  const threshold = tm.params.neighbourThreshold;
  const evidence: EvidenceTier[] = new Array(step.n);
  const halfWidths: TierHalfWidths[] = new Array(step.n);
  for (let i = 0; i < step.n; i++) {
    const mech = step.mechanism[i];
    const declared = !!mech && (mech.targets.length > 0 || !!mech.pathway);
    // Work is bounded: an unannotated compound without a close neighbour (most of a library) is left as it is.
    if (!declared && !(step.domain[i] >= threshold)) {
      evidence[i] = 'structure';
      halfWidths[i] = halfWidthsFor(tm.intervals, 'structure', NaN);
      continue;
    }
    const tw = compoundTransfer(tm, step.fingerprints.subarray(i * FP_BYTES, (i + 1) * FP_BYTES), mech ?? { targets: [], pathway: null });
    evidence[i] = tw.tier;
    halfWidths[i] = halfWidthsFor(tm.intervals, tw.tier, tw.spread);
    applyTransferRow(step.predictions, i * step.nSamples, tw, pp);
  }
  return { evidence, halfWidths };
}
