/**
 * Calibrating a compound's predictions from a few measured cell lines, and choosing which lines to
 * measure next. Plain typed-array maths (Gaussian conditioning with a low-rank covariance): K is
 * small (1–50), so each compound costs a K×K solve plus one pass over the panel; ONNX adds nothing.
 *
 * The model. For a compound, the model's prediction μ over the panel's lines is the prior mean. Its
 * error e = y − μ has three parts, each learned from the training drugs:
 *   e_l = a + g_l + ε_l
 *   a   ~ N(0, τ²)          the compound's potency offset (shared by all lines; the error that
 *                           dominates absolute ln IC50 for a compound the model has not seen),
 *   g   ~ N(0, α·C)         its genotype-profile error, C the covariance of the training drugs'
 *                           double-centred response profiles (response − drug mean − line mean),
 *                           so a measured line informs the lines that respond like it across drugs,
 *   ε_l ~ N(0, β)           independent noise (assay replicate scatter, unexplained interaction).
 * Measuring lines A gives the posterior of every other line by conditioning; the potency offset is
 * learned from any measurement, the profile from lines that co-vary across drugs. With K = 0 the
 * prior comes back unchanged; as K grows the posterior moves toward the measurements and its
 * variance shrinks. τ², α, β are fitted on out-of-fold residuals of drugs the basis did not contain
 * (`fitHyper`), so the intervals are calibrated for compounds the model has not seen.
 *
 * C = U Uᵀ with U = P / √n (lines × training drugs, missing responses 0), never formed: every
 * covariance entry needed is a dot product of two rows of U.
 */

export interface ProfileBasis {
  /** Lines of the basis (the panel the training profiles are measured on), in U's row order. */
  nLines: number;
  nDrugs: number;
  /** Row-major [nLines × nDrugs]: U[l, d] = P_d(l) / √nDrugs. */
  U: Float64Array;
  /** C_ll = ‖U_l‖². */
  diag: Float64Array;
}

export interface CalibrationHyper {
  /** Variance of the potency offset (ln² units). */
  tau2: number;
  /** Scale of the profile covariance. */
  alpha: number;
  /** Independent noise variance. */
  beta: number;
}

/**
 * Double-centred profiles of training drugs: y − line mean − drug mean (drug mean taken after the
 * line means), NaN where not measured. `responses[d][l]` is ln IC50 of drug d in line l (NaN = missing).
 */
export function doubleCentre(responses: readonly ArrayLike<number>[], nLines: number): { profiles: Float64Array[]; lineMean: Float64Array; drugMean: Float64Array } {
  const lineMean = new Float64Array(nLines);
  const cnt = new Float64Array(nLines);
  for (const r of responses) {
    for (let l = 0; l < nLines; l++) {
      const v = r[l];
      if (Number.isFinite(v)) {
        lineMean[l] += v;
        cnt[l]++;
      }
    }
  }
  for (let l = 0; l < nLines; l++) lineMean[l] = cnt[l] ? lineMean[l] / cnt[l] : NaN;
  const drugMean = new Float64Array(responses.length);
  const profiles = responses.map((r, d) => {
    let s = 0;
    let n = 0;
    for (let l = 0; l < nLines; l++) {
      const v = r[l];
      if (Number.isFinite(v) && Number.isFinite(lineMean[l])) {
        s += v - lineMean[l];
        n++;
      }
    }
    const m = n ? s / n : 0;
    drugMean[d] = m;
    const p = new Float64Array(nLines);
    for (let l = 0; l < nLines; l++) {
      const v = r[l];
      p[l] = Number.isFinite(v) && Number.isFinite(lineMean[l]) ? v - lineMean[l] - m : NaN;
    }
    return p;
  });
  return { profiles, lineMean, drugMean };
}

/** The low-rank basis from double-centred profiles (NaN = not measured, counted as 0). */
export function profileBasis(profiles: readonly ArrayLike<number>[], nLines: number): ProfileBasis {
  const nDrugs = profiles.length;
  const U = new Float64Array(nLines * nDrugs);
  const diag = new Float64Array(nLines);
  const s = 1 / Math.sqrt(Math.max(1, nDrugs));
  for (let d = 0; d < nDrugs; d++) {
    const p = profiles[d];
    for (let l = 0; l < nLines; l++) {
      const v = p[l];
      if (Number.isFinite(v)) U[l * nDrugs + d] = v * s;
    }
  }
  for (let l = 0; l < nLines; l++) {
    let q = 0;
    for (let d = 0; d < nDrugs; d++) q += U[l * nDrugs + d] ** 2;
    diag[l] = q;
  }
  return { nLines, nDrugs, U, diag };
}

function dotRows(b: ProfileBasis, i: number, j: number): number {
  const n = b.nDrugs;
  const oi = i * n;
  const oj = j * n;
  let s = 0;
  for (let d = 0; d < n; d++) s += b.U[oi + d] * b.U[oj + d];
  return s;
}

/** Prior covariance of the errors of lines i and j (basis rows; -1 = a line outside the basis). */
function cov(b: ProfileBasis, h: CalibrationHyper, i: number, j: number): number {
  const profile = i < 0 || j < 0 ? 0 : i === j ? b.diag[i] : dotRows(b, i, j);
  return h.tau2 + h.alpha * profile + (i === j && i >= 0 ? h.beta : 0);
}

function priorVar(b: ProfileBasis, h: CalibrationHyper, i: number, meanDiag: number): number {
  return h.tau2 + h.alpha * (i < 0 ? meanDiag : b.diag[i]) + h.beta;
}

/** Cholesky factor (lower, row-major) of a symmetric positive-definite K×K matrix, in place. */
function cholesky(a: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j];
      for (let p = 0; p < j; p++) s -= a[i * k + p] * a[j * k + p];
      if (i === j) {
        if (!(s > 0)) throw new Error('calibration covariance is not positive definite');
        a[i * k + i] = Math.sqrt(s);
      } else a[i * k + j] = s / a[j * k + j];
    }
    for (let j = i + 1; j < k; j++) a[i * k + j] = 0;
  }
}

/** Solves L x = v (forward) in place. */
function forward(L: Float64Array, k: number, v: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let s = v[i];
    for (let p = 0; p < i; p++) s -= L[i * k + p] * v[p];
    v[i] = s / L[i * k + i];
  }
}

/** Solves Lᵀ x = v (backward) in place. */
function backward(L: Float64Array, k: number, v: Float64Array): void {
  for (let i = k - 1; i >= 0; i--) {
    let s = v[i];
    for (let p = i + 1; p < k; p++) s -= L[p * k + i] * v[p];
    v[i] = s / L[i * k + i];
  }
}

export interface MeasuredValue {
  /** Basis row of the measured line. */
  line: number;
  /** ln IC50; replicates of one line are averaged by `calibrate`. */
  value: number;
}

export interface Calibrated {
  /** Posterior mean per output line (the measurement itself where the line was measured). */
  mean: Float64Array;
  /** Posterior predictive standard deviation of a new measurement per output line. */
  sd: Float64Array;
  /** Lines (basis rows) the posterior used, after averaging replicates. */
  used: number;
}

/** Averages replicates; the noise of an average of r replicates is β / r. */
function groupMeasured(measured: readonly MeasuredValue[]): { line: number; value: number; reps: number }[] {
  const by = new Map<number, { s: number; n: number }>();
  for (const m of measured) {
    if (!Number.isFinite(m.value)) continue;
    const e = by.get(m.line) ?? { s: 0, n: 0 };
    e.s += m.value;
    e.n++;
    by.set(m.line, e);
  }
  return [...by.entries()].sort((x, y) => x[0] - y[0]).map(([line, e]) => ({ line, value: e.s / e.n, reps: e.n }));
}

/**
 * The posterior of a compound's responses given its measured lines.
 * `prior[o]` is the model's prediction for output line o, `rows[o]` its basis row (-1 when the line
 * is not in the basis, e.g. a lab's own sample: it then learns only the potency offset).
 */
export function calibrate(b: ProfileBasis, h: CalibrationHyper, prior: ArrayLike<number>, rows: ArrayLike<number>, measured: readonly MeasuredValue[], priorAt: (line: number) => number): Calibrated {
  const n = prior.length;
  const mean = new Float64Array(n);
  const sd = new Float64Array(n);
  const meanDiag = b.diag.reduce((s, v) => s + v, 0) / Math.max(1, b.nLines);
  const A = groupMeasured(measured);
  const k = A.length;
  if (k === 0) {
    for (let o = 0; o < n; o++) {
      mean[o] = prior[o];
      sd[o] = Math.sqrt(priorVar(b, h, rows[o], meanDiag));
    }
    return { mean, sd, used: 0 };
  }
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      const c = i === j ? h.tau2 + h.alpha * b.diag[A[i].line] + h.beta / A[i].reps : cov(b, h, A[i].line, A[j].line);
      L[i * k + j] = c;
      L[j * k + i] = c;
    }
  }
  cholesky(L, k);
  // w = Σ_AA⁻¹ (y_A − μ_A)
  const w = new Float64Array(k);
  for (let i = 0; i < k; i++) w[i] = A[i].value - priorAt(A[i].line);
  forward(L, k, w);
  backward(L, k, w);
  const measuredAt = new Map(A.map((a) => [a.line, a]));
  const col = new Float64Array(k);
  for (let o = 0; o < n; o++) {
    const r = rows[o];
    const m = r >= 0 ? measuredAt.get(r) : undefined;
    let c0 = 0;
    for (let i = 0; i < k; i++) {
      col[i] = r >= 0 && r === A[i].line ? h.tau2 + h.alpha * b.diag[r] : cov(b, h, r, A[i].line);
      c0 += col[i] * w[i];
    }
    forward(L, k, col);
    let q = 0;
    for (let i = 0; i < k; i++) q += col[i] * col[i];
    const v = Math.max(priorVar(b, h, r, meanDiag) - q, h.beta * 1e-3);
    if (m) {
      // A measured line: report the measurement; its spread is that of a new replicate around the latent.
      mean[o] = m.value;
      sd[o] = Math.sqrt(Math.max(v, h.beta / m.reps));
    } else {
      mean[o] = prior[o] + c0;
      sd[o] = Math.sqrt(v);
    }
  }
  return { mean, sd, used: k };
}

/**
 * The same model as a Bayesian linear regression, for choosing lines: latent z = (a/τ, w) with
 * z ~ N(0, I), line l's noise-free response error φ_lᵀz with φ_l = (τ, √α·U_l), a measurement adds
 * noise β. Measuring line j updates the latent posterior covariance S by one rank-1 step
 * (S ← S − S φ_j φ_jᵀ S / (φ_jᵀ S φ_j + β)); what a chosen target loses is closed-form, so the
 * greedy choice costs O(p³ + lines·p²) per step with p = training drugs + 1.
 */
class LatentPosterior {
  readonly p: number;
  readonly S: Float64Array;
  constructor(
    readonly b: ProfileBasis,
    readonly h: CalibrationHyper,
  ) {
    this.p = b.nDrugs + 1;
    this.S = new Float64Array(this.p * this.p);
    for (let i = 0; i < this.p; i++) this.S[i * this.p + i] = 1;
  }
  phi(line: number): Float64Array {
    const f = new Float64Array(this.p);
    f[0] = Math.sqrt(this.h.tau2);
    const sa = Math.sqrt(this.h.alpha);
    const o = line * this.b.nDrugs;
    for (let d = 0; d < this.b.nDrugs; d++) f[d + 1] = sa * this.b.U[o + d];
    return f;
  }
  /** S v */
  apply(v: Float64Array): Float64Array {
    const p = this.p;
    const out = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = 0;
      const o = i * p;
      for (let j = 0; j < p; j++) s += this.S[o + j] * v[j];
      out[i] = s;
    }
    return out;
  }
  observe(line: number, reps = 1): void {
    const f = this.phi(line);
    const sf = this.apply(f);
    const denom = dot(f, sf) + this.h.beta / reps;
    const p = this.p;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) this.S[i * p + j] -= (sf[i] * sf[j]) / denom;
  }
}

/** Loadings of a contrast c (over basis rows) in latent space: Σ_l c_l φ_l. */
function contrastPhi(post: LatentPosterior, c: ArrayLike<number>): Float64Array {
  const out = new Float64Array(post.p);
  for (let l = 0; l < post.b.nLines; l++) {
    if (!c[l]) continue;
    const f = post.phi(l);
    for (let i = 0; i < post.p; i++) out[i] += c[l] * f[i];
  }
  return out;
}

/**
 * Posterior variance of the noise-free contrast cᵀg (c over basis rows, e.g. subgroup mean minus
 * complement mean: the subgroup's selectivity) after measuring `lines`. The potency offset cancels
 * when the weights sum to 0.
 */
export function contrastVariance(b: ProfileBasis, h: CalibrationHyper, c: ArrayLike<number>, lines: readonly number[]): number {
  const post = new LatentPosterior(b, h);
  for (const l of lines) post.observe(l);
  const cf = contrastPhi(post, c);
  return Math.max(0, dot(cf, post.apply(cf)));
}

export interface Suggestion {
  /** Basis rows to measure, in the order chosen. */
  lines: number[];
  /** Standard deviation of the target after measuring the first i+1 lines: the contrast's, or the root mean per-line variance for the panel-wide target. */
  sdAfter: number[];
  /** Before measuring anything new. */
  sdBefore: number;
}

/**
 * Greedy choice of `k` lines among `available` that most reduce the posterior variance of the
 * contrast c (a subgroup's selectivity), or, with c = null, of the panel's responses (mean latent
 * variance over all basis lines: the panel-wide ranking). Lines already measured are conditioned on
 * and never proposed. Greedy selection is the standard approximation here (variance reduction is
 * close to submodular); ties go to the lower row, so the choice is deterministic.
 */
export function suggestLines(b: ProfileBasis, h: CalibrationHyper, c: ArrayLike<number> | null, available: readonly number[], k: number, already: readonly number[] = []): Suggestion {
  const post = new LatentPosterior(b, h);
  for (const l of new Set(already)) post.observe(l);
  const p = post.p;
  const alreadySet = new Set(already);
  const pool = [...new Set(available)].filter((l) => !alreadySet.has(l) && l >= 0 && l < b.nLines).sort((x, y) => x - y);
  const phis = new Map(pool.map((l) => [l, post.phi(l)]));
  // Panel-wide target: trace(Φ S Φᵀ) = trace(S G) with G = Σ_l φ_l φ_lᵀ.
  let G: Float64Array | null = null;
  if (!c) {
    G = new Float64Array(p * p);
    for (let l = 0; l < b.nLines; l++) {
      const f = post.phi(l);
      for (let i = 0; i < p; i++) {
        if (!f[i]) continue;
        for (let j = 0; j < p; j++) G[i * p + j] += f[i] * f[j];
      }
    }
  }
  const cf = c ? contrastPhi(post, c) : null;
  const targetVar = (): number => {
    if (cf) return Math.max(0, dot(cf, post.apply(cf)));
    let t = 0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) t += post.S[i * p + j] * G![j * p + i];
    return Math.max(0, t / b.nLines);
  };
  const sdBefore = Math.sqrt(targetVar());
  const lines: number[] = [];
  const sdAfter: number[] = [];
  for (let step = 0; step < k && pool.length; step++) {
    // Gain of measuring j: (uᵀ S φ_j)² / (φ_jᵀ S φ_j + β) for a contrast u; φ_jᵀ S G S φ_j / (…) panel-wide.
    let T: Float64Array | null = null;
    if (G) {
      // T = S G S
      const SG = new Float64Array(p * p);
      for (let i = 0; i < p; i++) for (let m = 0; m < p; m++) {
        const s = post.S[i * p + m];
        if (!s) continue;
        for (let j = 0; j < p; j++) SG[i * p + j] += s * G[m * p + j];
      }
      T = new Float64Array(p * p);
      for (let i = 0; i < p; i++) for (let m = 0; m < p; m++) {
        const s = SG[i * p + m];
        if (!s) continue;
        for (let j = 0; j < p; j++) T[i * p + j] += s * post.S[m * p + j];
      }
    }
    const scf = cf ? post.apply(cf) : null;
    let best = -1;
    let bestGain = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      const f = phis.get(pool[i])!;
      const sf = post.apply(f);
      const denom = dot(f, sf) + h.beta;
      let gain: number;
      if (scf) gain = dot(scf, f) ** 2 / denom;
      else {
        let q = 0;
        for (let a = 0; a < p; a++) {
          if (!f[a]) continue;
          let s = 0;
          for (let bb = 0; bb < p; bb++) s += T![a * p + bb] * f[bb];
          q += f[a] * s;
        }
        gain = q / denom;
      }
      if (gain > bestGain + 1e-15) {
        bestGain = gain;
        best = i;
      }
    }
    const line = pool.splice(best, 1)[0];
    post.observe(line);
    lines.push(line);
    sdAfter.push(Math.sqrt(targetVar()));
  }
  return { lines, sdAfter, sdBefore };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Fits τ², α, β by moments on residual profiles of drugs outside the basis (y − prior, NaN where not
 * measured): τ² from the per-drug mean residuals, α by regressing the off-diagonal residual
 * covariance on C (the profile structure), β from what the diagonal leaves. `sample` limits the line
 * pairs visited (deterministic stride) to keep the fit cheap.
 */
export function fitHyper(b: ProfileBasis, residuals: readonly ArrayLike<number>[], rows: ArrayLike<number>): CalibrationHyper {
  const n = residuals.length;
  if (n < 3) throw new Error(`fitHyper: need residuals of at least 3 drugs, got ${n}`);
  const nOut = rows.length;
  // Potency part: variance of per-drug mean residuals (minus the share the within-drug variance explains).
  const centred: Float64Array[] = [];
  let sumMean2 = 0;
  let within = 0;
  let withinN = 0;
  for (const r of residuals) {
    let s = 0;
    let c = 0;
    for (let o = 0; o < nOut; o++) if (Number.isFinite(r[o])) {
      s += r[o];
      c++;
    }
    const m = c ? s / c : 0;
    sumMean2 += m * m;
    const z = new Float64Array(nOut);
    for (let o = 0; o < nOut; o++) {
      z[o] = Number.isFinite(r[o]) ? r[o] - m : NaN;
      if (Number.isFinite(z[o])) {
        within += z[o] * z[o];
        withinN++;
      }
    }
    if (c > 1) centred.push(z);
  }
  const wVar = withinN ? within / withinN : 0;
  const tau2 = Math.max(1e-4, sumMean2 / n);
  // Profile part: E[z_i z_j] ≈ α C_ij for i ≠ j (centring removes the potency part). Least squares over a strided set of pairs.
  let sxy = 0;
  let sxx = 0;
  const inBasis: number[] = [];
  for (let o = 0; o < nOut; o++) if (rows[o] >= 0) inBasis.push(o);
  const stride = Math.max(1, Math.floor(inBasis.length / 150));
  for (let a = 0; a < inBasis.length; a += stride) {
    for (let bb = a + 1; bb < inBasis.length; bb += stride) {
      const oi = inBasis[a];
      const oj = inBasis[bb];
      let s = 0;
      let c = 0;
      for (const z of centred) if (Number.isFinite(z[oi]) && Number.isFinite(z[oj])) {
        s += z[oi] * z[oj];
        c++;
      }
      if (c < 3) continue;
      const emp = s / c;
      const cij = dotRows(b, rows[oi], rows[oj]);
      sxy += emp * cij;
      sxx += cij * cij;
    }
  }
  const alpha = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  let meanDiag = 0;
  for (const o of inBasis) meanDiag += b.diag[rows[o]];
  meanDiag = inBasis.length ? meanDiag / inBasis.length : 0;
  const beta = Math.max(0.05 * wVar, wVar - alpha * meanDiag);
  return { tau2, alpha, beta };
}
