/**
 * The two-tower efficacy model, trained with hand-written reverse-mode gradients and AdamW on Float32Arrays.
 *
 *   compound tower  f(x_c) = W2ᵀ relu(W1ᵀ x_c + b1) + b2 → [e_c (k), b_c]
 *   genotype tower  g(x_g) = V2ᵀ relu(V1ᵀ x_g + c1) + c2 → [e_g (k), b_g]
 *   ln IC50 (µM)    ŷ = mu + b_c + b_g + ⟨e_c, e_g⟩
 *
 * Why this family: a screen of N compounds × M cell lines costs N compound-tower passes + M genotype-tower passes
 * + an N×M×k product, and the mean over a subgroup's members is ⟨e_c, mean(e_g)⟩ + mean(b_g) — linear in e_g —
 * so subgroup aggregates need one k-vector per subgroup instead of a pass per member.
 *
 * Inputs are sparse (fingerprint bits, binary genotype features) so the first layers run on CSR rows: a forward
 * pass costs nnz × hidden instead of dim × hidden. Everything is deterministic for a given seed.
 *
 * Optional (off in the shipped model): a linear skip path x_c → [e_c, b_c] on the compound side.
 */

export interface SparseRows {
  n: number;
  dim: number;
  /** Row pointers, length n+1. */
  ptr: Int32Array;
  idx: Int32Array;
  val: Float32Array;
}

export function denseToSparse(x: ArrayLike<number>, n: number, dim: number): SparseRows {
  let nnz = 0;
  for (let i = 0; i < n * dim; i++) if (x[i] !== 0) nnz++;
  const ptr = new Int32Array(n + 1);
  const idx = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  let k = 0;
  for (let i = 0; i < n; i++) {
    ptr[i] = k;
    for (let j = 0; j < dim; j++) {
      const v = x[i * dim + j];
      if (v !== 0) {
        idx[k] = j;
        val[k] = v;
        k++;
      }
    }
  }
  ptr[n] = k;
  return { n, dim, ptr, idx, val };
}

export function selectRows(x: SparseRows, rows: ArrayLike<number>): SparseRows {
  let nnz = 0;
  for (let r = 0; r < rows.length; r++) nnz += x.ptr[rows[r] + 1] - x.ptr[rows[r]];
  const ptr = new Int32Array(rows.length + 1);
  const idx = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    ptr[r] = k;
    for (let p = x.ptr[rows[r]]; p < x.ptr[rows[r] + 1]; p++) {
      idx[k] = x.idx[p];
      val[k] = x.val[p];
      k++;
    }
  }
  ptr[rows.length] = k;
  return { n: rows.length, dim: x.dim, ptr, idx, val };
}

export interface Tower {
  inDim: number;
  hidden: number;
  outDim: number;
  /** [inDim × hidden], row-major. */
  W1: Float32Array;
  b1: Float32Array;
  /** [hidden × outDim], row-major. */
  W2: Float32Array;
  b2: Float32Array;
  /** Optional linear skip path [inDim × outDim]: O += xᵀW0 (lets shared substructure bits carry over linearly). */
  W0?: Float32Array;
}

export interface TwoTower {
  embedDim: number;
  mu: number;
  compound: Tower;
  genotype: Tower;
}

export interface TrainConfig {
  embedDim: number;
  hiddenCompound: number;
  hiddenGenotype: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** AdamW decoupled weight decay per step, on weight matrices only. */
  weightDecayCompound: number;
  weightDecayGenotype: number;
  /** Probability of dropping each non-zero compound input (fingerprint bit or descriptor) per step. */
  inputDropoutCompound: number;
  /** Dropout on the compound tower's hidden units. */
  hiddenDropoutCompound: number;
  /** L2 penalty on the compound embedding and bias (shrinks unseen-compound predictions towards the mean). */
  outputL2Compound: number;
  seed: number;
  /** Resample training drugs with replacement (bagging over compounds) for ensemble diversity. */
  bootstrapDrugs: boolean;
  /** Add a linear skip path from the compound input to its embedding and bias. */
  compoundSkip: boolean;
  /** AdamW decay on the skip weights. */
  weightDecaySkip: number;
}

/**
 * The configuration chosen on 5-fold cross-validation (see MODEL_CARD.md): a small embedding (8) and input +
 * hidden dropout on the compound tower generalised best to unseen drugs; wider embeddings, stronger weight decay,
 * output shrinkage and the linear skip path did not help. 160 epochs (640 Adam steps) instead of 40 left unseen-
 * drug accuracy unchanged but were needed to fit genotype × drug interactions of known drugs (e.g. BRAF-mutant
 * sensitivity to dabrafenib).
 */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  embedDim: 8,
  hiddenCompound: 64,
  hiddenGenotype: 64,
  epochs: 160,
  batchSize: 32768,
  lr: 4e-3,
  weightDecayCompound: 1e-3,
  weightDecayGenotype: 1e-4,
  inputDropoutCompound: 0.2,
  hiddenDropoutCompound: 0.2,
  outputL2Compound: 0,
  seed: 1,
  bootstrapDrugs: false,
  compoundSkip: false,
  weightDecaySkip: 1e-3,
};

/** mulberry32: small, fast, seeded PRNG (uniform in [0, 1)). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function meanNnz(x: SparseRows): number {
  return x.n ? x.ptr[x.n] / x.n : 1;
}

function initTower(inDim: number, hidden: number, outDim: number, avgNnz: number, rng: () => number): Tower {
  // He-style scale on the number of active inputs (not inDim): inputs are sparse.
  const s1 = Math.sqrt(2 / Math.max(1, avgNnz));
  const s2 = Math.sqrt(1 / hidden) * 0.5;
  const W1 = new Float32Array(inDim * hidden);
  for (let i = 0; i < W1.length; i++) W1[i] = gaussian(rng) * s1;
  const W2 = new Float32Array(hidden * outDim);
  for (let i = 0; i < W2.length; i++) W2[i] = gaussian(rng) * s2;
  return { inDim, hidden, outDim, W1, b1: new Float32Array(hidden), W2, b2: new Float32Array(outDim) };
}

/** Forward pass on CSR rows. Returns post-ReLU hidden H [n×hidden] and outputs O [n×outDim]. */
export function towerForward(
  t: Tower,
  x: SparseRows,
  inputKeep?: Uint8Array,
  inputScale = 1,
  hiddenMask?: Float32Array,
): { H: Float32Array; O: Float32Array } {
  const { hidden, outDim, W1, b1, W2, b2 } = t;
  const H = new Float32Array(x.n * hidden);
  const O = new Float32Array(x.n * outDim);
  for (let i = 0; i < x.n; i++) {
    const h = i * hidden;
    H.set(b1, h);
    for (let p = x.ptr[i]; p < x.ptr[i + 1]; p++) {
      if (inputKeep && !inputKeep[p]) continue;
      const v = x.val[p] * inputScale;
      const w = x.idx[p] * hidden;
      for (let j = 0; j < hidden; j++) H[h + j] += v * W1[w + j];
    }
    for (let j = 0; j < hidden; j++) {
      let a = H[h + j] > 0 ? H[h + j] : 0;
      if (hiddenMask) a *= hiddenMask[h + j];
      H[h + j] = a;
    }
    const o = i * outDim;
    O.set(b2, o);
    if (t.W0) {
      const W0 = t.W0;
      for (let p = x.ptr[i]; p < x.ptr[i + 1]; p++) {
        if (inputKeep && !inputKeep[p]) continue;
        const v = x.val[p] * inputScale;
        const w = x.idx[p] * outDim;
        for (let q = 0; q < outDim; q++) O[o + q] += v * W0[w + q];
      }
    }
    for (let j = 0; j < hidden; j++) {
      const a = H[h + j];
      if (a === 0) continue;
      const w = j * outDim;
      for (let q = 0; q < outDim; q++) O[o + q] += a * W2[w + q];
    }
  }
  return { H, O };
}

export interface TowerGrads {
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
  W0?: Float32Array;
}

function zeroGrads(t: Tower): TowerGrads {
  const g: TowerGrads = { W1: new Float32Array(t.W1.length), b1: new Float32Array(t.hidden), W2: new Float32Array(t.W2.length), b2: new Float32Array(t.outDim) };
  if (t.W0) g.W0 = new Float32Array(t.W0.length);
  return g;
}

/** Backward pass; H is the (masked) post-ReLU hidden from the forward pass, so H > 0 ⇔ unit active and kept. */
function towerBackward(
  t: Tower,
  x: SparseRows,
  H: Float32Array,
  dO: Float32Array,
  g: TowerGrads,
  inputKeep: Uint8Array | undefined,
  inputScale: number,
  hiddenMask: Float32Array | undefined,
): void {
  const { hidden, outDim, W2 } = t;
  const dH = new Float32Array(hidden);
  for (let i = 0; i < x.n; i++) {
    const o = i * outDim;
    let any = false;
    for (let q = 0; q < outDim; q++) {
      if (dO[o + q] !== 0) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    for (let q = 0; q < outDim; q++) g.b2[q] += dO[o + q];
    if (g.W0) {
      for (let p = x.ptr[i]; p < x.ptr[i + 1]; p++) {
        if (inputKeep && !inputKeep[p]) continue;
        const v = x.val[p] * inputScale;
        const w = x.idx[p] * outDim;
        for (let q = 0; q < outDim; q++) g.W0[w + q] += v * dO[o + q];
      }
    }
    const h = i * hidden;
    for (let j = 0; j < hidden; j++) {
      const a = H[h + j];
      if (a <= 0) {
        dH[j] = 0;
        continue;
      }
      const w = j * outDim;
      let s = 0;
      for (let q = 0; q < outDim; q++) {
        g.W2[w + q] += a * dO[o + q];
        s += W2[w + q] * dO[o + q];
      }
      dH[j] = hiddenMask ? s * hiddenMask[h + j] : s;
    }
    for (let j = 0; j < hidden; j++) g.b1[j] += dH[j];
    for (let p = x.ptr[i]; p < x.ptr[i + 1]; p++) {
      if (inputKeep && !inputKeep[p]) continue;
      const v = x.val[p] * inputScale;
      const w = x.idx[p] * hidden;
      for (let j = 0; j < hidden; j++) g.W1[w + j] += v * dH[j];
    }
  }
}

class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;
  constructor(
    private readonly params: Float32Array[],
    private readonly decay: number[],
  ) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }
  step(grads: Float32Array[], lr: number): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const g = grads[k];
      const m = this.m[k];
      const v = this.v[k];
      const wd = this.decay[k];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        // Sparse rows of W1 with no gradient this step still decay in their moments: standard Adam.
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p[i] -= lr * ((m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8) + wd * p[i]);
      }
    }
  }
}

interface Dropout {
  keep?: Uint8Array;
  scale: number;
  hMask?: Float32Array;
}

/**
 * Forward + backward for the pairs pairs[from..to): fills the gradients of the mean squared error (plus the
 * optional output L2) into gc, gg and muGrad (zeroed here) and returns the summed squared error. dOc/dOg are
 * scratch buffers [rows × (k+1)].
 */
function batchGradients(
  model: TwoTower,
  mu: number,
  data: TrainSet,
  pairs: Int32Array,
  from: number,
  to: number,
  drop: Dropout,
  outputL2: number,
  gc: TowerGrads,
  gg: TowerGrads,
  dOc: Float32Array,
  dOg: Float32Array,
  muGrad: Float32Array,
): number {
  const k = model.embedDim;
  const out = k + 1;
  const B = to - from;
  const fc = towerForward(model.compound, data.compounds, drop.keep, drop.scale, drop.hMask);
  const fg = towerForward(model.genotype, data.genotypes);
  const Oc = fc.O;
  const Og = fg.O;
  dOc.fill(0);
  dOg.fill(0);
  let dMu = 0;
  let lossSum = 0;
  for (let b = from; b < to; b++) {
    const p = pairs[b];
    const oc = data.drug[p] * out;
    const og = data.cell[p] * out;
    let yhat = mu + Oc[oc + k] + Og[og + k];
    for (let q = 0; q < k; q++) yhat += Oc[oc + q] * Og[og + q];
    const err = yhat - data.y[p];
    lossSum += err * err;
    const d = (2 * err) / B;
    dMu += d;
    dOc[oc + k] += d;
    dOg[og + k] += d;
    for (let q = 0; q < k; q++) {
      dOc[oc + q] += d * Og[og + q];
      dOg[og + q] += d * Oc[oc + q];
    }
  }
  if (outputL2 > 0) {
    // Penalty λ/n · Σ over drugs in this batch of ‖[e_c, b_c]‖²: shrinks compound outputs towards the mean.
    for (let i = 0; i < data.compounds.n; i++) {
      const o = i * out;
      let used = false;
      for (let q = 0; q <= k; q++) if (dOc[o + q] !== 0) used = true;
      if (!used) continue;
      for (let q = 0; q <= k; q++) dOc[o + q] += (2 * outputL2 * Oc[o + q]) / data.compounds.n;
    }
  }
  for (const g of [gc, gg]) {
    g.W1.fill(0);
    g.b1.fill(0);
    g.W2.fill(0);
    g.b2.fill(0);
    g.W0?.fill(0);
  }
  towerBackward(model.compound, data.compounds, fc.H, dOc, gc, drop.keep, drop.scale, drop.hMask);
  towerBackward(model.genotype, data.genotypes, fg.H, dOg, gg, undefined, 1, undefined);
  muGrad[0] = dMu;
  return lossSum;
}

/**
 * Mean squared error over all pairs of `data` and its exact gradients (no dropout, no penalty). Exposed so tests
 * can check the hand-written backward pass against finite differences.
 */
export function lossAndGradients(model: TwoTower, data: TrainSet): { loss: number; compound: TowerGrads; genotype: TowerGrads; mu: number } {
  const out = model.embedDim + 1;
  const gc = zeroGrads(model.compound);
  const gg = zeroGrads(model.genotype);
  const muGrad = new Float32Array(1);
  const pairs = Int32Array.from({ length: data.y.length }, (_, i) => i);
  const sse = batchGradients(model, model.mu, data, pairs, 0, pairs.length, { scale: 1 }, 0, gc, gg, new Float32Array(data.compounds.n * out), new Float32Array(data.genotypes.n * out), muGrad);
  return { loss: sse / Math.max(1, pairs.length), compound: gc, genotype: gg, mu: muGrad[0] };
}

export interface TrainSet {
  compounds: SparseRows;
  genotypes: SparseRows;
  /** Pair indices into compounds / genotypes rows, and the measured ln IC50 (µM). */
  drug: Int32Array;
  cell: Int32Array;
  y: Float32Array;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  loss: number;
}

/** Trains one member. `signal` aborts between steps. */
export function trainTwoTower(
  data: TrainSet,
  cfg: TrainConfig,
  onEpoch?: (p: TrainProgress) => void,
  signal?: AbortSignal,
): TwoTower {
  const rng = makeRng(cfg.seed * 7919 + 17);
  const out = cfg.embedDim + 1;
  const comp = initTower(data.compounds.dim, cfg.hiddenCompound, out, meanNnz(data.compounds), rng);
  const geno = initTower(data.genotypes.dim, cfg.hiddenGenotype, out, meanNnz(data.genotypes), rng);
  let ySum = 0;
  for (let i = 0; i < data.y.length; i++) ySum += data.y[i];
  const model: TwoTower = { embedDim: cfg.embedDim, mu: data.y.length ? ySum / data.y.length : 0, compound: comp, genotype: geno };

  // Pair list, optionally bagged over drugs: a drug drawn r times has its pairs repeated r times.
  let pairs: Int32Array;
  if (cfg.bootstrapDrugs) {
    const nD = data.compounds.n;
    const drugsInData = [...new Set(Array.from(data.drug))];
    const count = new Int32Array(nD);
    for (let i = 0; i < drugsInData.length; i++) count[drugsInData[Math.floor(rng() * drugsInData.length)]]++;
    const list: number[] = [];
    for (let p = 0; p < data.y.length; p++) for (let r = 0; r < count[data.drug[p]]; r++) list.push(p);
    pairs = Int32Array.from(list);
  } else {
    pairs = new Int32Array(data.y.length);
    for (let i = 0; i < pairs.length; i++) pairs[i] = i;
  }

  // The skip path starts at zero: the network begins as the plain two-tower model.
  if (cfg.compoundSkip) comp.W0 = new Float32Array(comp.inDim * out);
  const gc = zeroGrads(comp);
  const gg = zeroGrads(geno);
  const muGrad = new Float32Array(1);
  const muParam = new Float32Array([model.mu]);
  const gcSkip = cfg.compoundSkip ? [comp.W0!] : [];
  const adam = new Adam(
    [comp.W1, comp.b1, comp.W2, comp.b2, geno.W1, geno.b1, geno.W2, geno.b2, muParam, ...gcSkip],
    [cfg.weightDecayCompound, 0, cfg.weightDecayCompound, 0, cfg.weightDecayGenotype, 0, cfg.weightDecayGenotype, 0, 0, ...gcSkip.map(() => cfg.weightDecaySkip)],
  );
  const nnzC = data.compounds.ptr[data.compounds.n];
  const keep = new Uint8Array(nnzC);
  const pIn = cfg.inputDropoutCompound;
  const pH = cfg.hiddenDropoutCompound;
  const hMask = pH > 0 ? new Float32Array(data.compounds.n * cfg.hiddenCompound) : undefined;
  const dOc = new Float32Array(data.compounds.n * out);
  const dOg = new Float32Array(data.genotypes.n * out);
  const stepsPerEpoch = Math.max(1, Math.ceil(pairs.length / cfg.batchSize));

  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    // Fisher–Yates shuffle of the pair order.
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const tmp = pairs[i];
      pairs[i] = pairs[j];
      pairs[j] = tmp;
    }
    let lossSum = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      if (signal?.aborted) throw Object.assign(new Error('training cancelled'), { name: 'AbortError' });
      const from = s * cfg.batchSize;
      const to = Math.min(pairs.length, from + cfg.batchSize);
      if (pIn > 0) for (let i = 0; i < nnzC; i++) keep[i] = rng() >= pIn ? 1 : 0;
      if (hMask) for (let i = 0; i < hMask.length; i++) hMask[i] = rng() >= pH ? 1 / (1 - pH) : 0;
      const drop: Dropout = { keep: pIn > 0 ? keep : undefined, scale: 1 / (1 - pIn), hMask };
      lossSum += batchGradients(model, muParam[0], data, pairs, from, to, drop, cfg.outputL2Compound, gc, gg, dOc, dOg, muGrad);
      adam.step([gc.W1, gc.b1, gc.W2, gc.b2, gg.W1, gg.b1, gg.W2, gg.b2, muGrad, ...(gc.W0 ? [gc.W0] : [])], cfg.lr);
    }
    onEpoch?.({ epoch: epoch + 1, epochs: cfg.epochs, loss: lossSum / pairs.length });
  }
  model.mu = muParam[0];
  return model;
}

/** Tower outputs for all rows (no dropout): [n × (k+1)] = [e (k), bias]. */
export function embed(t: Tower, x: SparseRows): Float32Array {
  return towerForward(t, x).O;
}

/** Predictions for listed pairs. */
export function predictPairs(m: TwoTower, compounds: SparseRows, genotypes: SparseRows, drug: Int32Array, cell: Int32Array): Float32Array {
  const Oc = embed(m.compound, compounds);
  const Og = embed(m.genotype, genotypes);
  const k = m.embedDim;
  const out = k + 1;
  const y = new Float32Array(drug.length);
  for (let p = 0; p < drug.length; p++) {
    const oc = drug[p] * out;
    const og = cell[p] * out;
    let v = m.mu + Oc[oc + k] + Og[og + k];
    for (let q = 0; q < k; q++) v += Oc[oc + q] * Og[og + q];
    y[p] = v;
  }
  return y;
}

/** Full matrix [compounds × genotypes] of one member. */
export function predictMatrixTT(m: TwoTower, compounds: SparseRows, genotypes: SparseRows): Float32Array {
  const Oc = embed(m.compound, compounds);
  const Og = embed(m.genotype, genotypes);
  const k = m.embedDim;
  const out = k + 1;
  const Y = new Float32Array(compounds.n * genotypes.n);
  for (let i = 0; i < compounds.n; i++) {
    for (let j = 0; j < genotypes.n; j++) {
      let v = m.mu + Oc[i * out + k] + Og[j * out + k];
      for (let q = 0; q < k; q++) v += Oc[i * out + q] * Og[j * out + q];
      Y[i * genotypes.n + j] = v;
    }
  }
  return Y;
}

/** Ensemble mean and per-member predictions for pairs. */
export function predictEnsemblePairs(
  members: TwoTower[],
  compounds: SparseRows,
  genotypes: SparseRows,
  drug: Int32Array,
  cell: Int32Array,
): { mean: Float32Array; members: Float32Array[] } {
  const per = members.map((m) => predictPairs(m, compounds, genotypes, drug, cell));
  const mean = new Float32Array(drug.length);
  for (const p of per) for (let i = 0; i < mean.length; i++) mean[i] += p[i] / per.length;
  return { mean, members: per };
}
