/**
 * Writes a two-tower ensemble as ONE ONNX graph (opset 17, IR 8) with onnx-proto; weights are raw float32.
 *
 * Inputs:  compound [N, Fc] float32, genotype [M, Fg] float32
 * Outputs: ln_ic50            [N, M]     ensemble mean, ln IC50 (µM)
 *          ln_ic50_members    [K, N, M]  each member's prediction
 *          compound_embedding [K, N, E]  E = k + 2, augmented: [e_c, b_c + mu, 1]
 *          genotype_embedding [K, M, E]  augmented: [e_g, 1, b_g]
 *
 * With the augmentation, member prediction = ⟨compound_embedding, genotype_embedding⟩ exactly, so a caller can
 * fetch embeddings alone, average genotype embeddings over a subgroup, and get the subgroup mean with one dot
 * product per compound.
 *
 * The K members' first layers are concatenated into one [F, K·H] MatMul; the second layers run as one batched
 * MatMul [K, N, H] × [K, H, E]. A compound skip path (when trained) is one more [F, K·E] MatMul added before b2.
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import type { Tower, TwoTower } from './twotower.js';

const { onnx } = onnxProto;

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

export const OUTPUT_NAMES = {
  mean: 'ln_ic50',
  members: 'ln_ic50_members',
  compoundEmbedding: 'compound_embedding',
  genotypeEmbedding: 'genotype_embedding',
} as const;

type Dim = number | string;

function floatTensor(name: string, dims: number[], data: Float32Array): P.ITensorProto {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`ONNX export: tensor ${name} has ${data.length} values, shape [${dims.join(', ')}] needs ${expected}`);
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  };
}

function int64Tensor(name: string, values: number[]): P.ITensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

function valueInfo(name: string, dims: Dim[]): P.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function node(opType: string, inputs: string[], outputs: string[], attrs: P.IAttributeProto[] = []): P.INodeProto {
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute: attrs };
}

function intsAttr(name: string, ints: number[]): P.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

function intAttr(name: string, i: number): P.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

/**
 * The augmented second layer of one tower: columns [e (k), bias] become [e, bias + mu, 1] (compound side) or
 * [e, 1, bias] (genotype side). Returns W2 [H × (k+2)] and b2 [k+2].
 */
export function augmentTower(t: Tower, side: 'compound' | 'genotype', mu: number): { W2: Float32Array; b2: Float32Array; W0: Float32Array | null } {
  const k = t.outDim - 1;
  const E = k + 2;
  const biasCol = side === 'compound' ? k : k + 1;
  // Re-lays a [rows × (k+1)] matrix as [rows × E]: embedding columns, then the bias column where it belongs.
  const widen = (src: Float32Array, rows: number) => {
    const dst = new Float32Array(rows * E);
    for (let j = 0; j < rows; j++) {
      for (let q = 0; q < k; q++) dst[j * E + q] = src[j * t.outDim + q];
      dst[j * E + biasCol] = src[j * t.outDim + k];
    }
    return dst;
  };
  const W2 = widen(t.W2, t.hidden);
  const W0 = t.W0 ? widen(t.W0, t.inDim) : null;
  const b2 = new Float32Array(E);
  for (let q = 0; q < k; q++) b2[q] = t.b2[q];
  if (side === 'compound') {
    b2[k] = t.b2[k] + mu;
    b2[k + 1] = 1;
  } else {
    b2[k] = 1;
    b2[k + 1] = t.b2[k];
  }
  return { W2, b2, W0 };
}

function towerNodes(
  prefix: 'compound' | 'genotype',
  input: string,
  members: TwoTower[],
  out: string,
  init: P.ITensorProto[],
  nodes: P.INodeProto[],
): void {
  const K = members.length;
  const towers = members.map((m) => m[prefix]);
  const { inDim, hidden } = towers[0];
  const E = towers[0].outDim + 1;
  const W1 = new Float32Array(inDim * K * hidden);
  const b1 = new Float32Array(K * hidden);
  const W2 = new Float32Array(K * hidden * E);
  const b2 = new Float32Array(K * E);
  const skip = towers.some((t) => t.W0);
  // Skip weights of all members side by side: [inDim, K·E], one MatMul like the first layer.
  const W0 = skip ? new Float32Array(inDim * K * E) : null;
  towers.forEach((t, m) => {
    if (t.inDim !== inDim || t.hidden !== hidden || t.outDim + 1 !== E) throw new Error(`ONNX export: ensemble member ${m} has a different ${prefix} tower shape`);
    for (let i = 0; i < inDim; i++) {
      for (let j = 0; j < hidden; j++) W1[i * K * hidden + m * hidden + j] = t.W1[i * hidden + j];
    }
    b1.set(t.b1, m * hidden);
    const aug = augmentTower(t, prefix, members[m].mu);
    W2.set(aug.W2, m * hidden * E);
    b2.set(aug.b2, m * E);
    if (W0 && aug.W0) for (let i = 0; i < inDim; i++) W0.set(aug.W0.subarray(i * E, (i + 1) * E), i * K * E + m * E);
  });
  const p = prefix;
  init.push(
    floatTensor(`${p}_W1`, [inDim, K * hidden], W1),
    floatTensor(`${p}_b1`, [K * hidden], b1),
    floatTensor(`${p}_W2`, [K, hidden, E], W2),
    floatTensor(`${p}_b2`, [K, 1, E], b2),
    int64Tensor(`${p}_hidden_shape`, [-1, K, hidden]),
  );
  nodes.push(
    node('MatMul', [input, `${p}_W1`], [`${p}_h_lin`]),
    node('Add', [`${p}_h_lin`, `${p}_b1`], [`${p}_h_pre`]),
    node('Relu', [`${p}_h_pre`], [`${p}_h`]),
    node('Reshape', [`${p}_h`, `${p}_hidden_shape`], [`${p}_h3`]),
    node('Transpose', [`${p}_h3`], [`${p}_hk`], [intsAttr('perm', [1, 0, 2])]),
    node('MatMul', [`${p}_hk`, `${p}_W2`], [`${p}_e_lin`]),
  );
  if (!W0) {
    nodes.push(node('Add', [`${p}_e_lin`, `${p}_b2`], [out]));
    return;
  }
  init.push(floatTensor(`${p}_W0`, [inDim, K * E], W0), int64Tensor(`${p}_skip_shape`, [-1, K, E]));
  nodes.push(
    node('MatMul', [input, `${p}_W0`], [`${p}_s_lin`]),
    node('Reshape', [`${p}_s_lin`, `${p}_skip_shape`], [`${p}_s3`]),
    node('Transpose', [`${p}_s3`], [`${p}_sk`], [intsAttr('perm', [1, 0, 2])]),
    node('Add', [`${p}_e_lin`, `${p}_sk`], [`${p}_e_sum`]),
    node('Add', [`${p}_e_sum`, `${p}_b2`], [out]),
  );
}

export interface ExportOptions {
  producer?: string;
  docString?: string;
}

/** Serialises the ensemble; returns the ONNX bytes. */
export function exportEnsembleOnnx(members: TwoTower[], opts: ExportOptions = {}): Uint8Array {
  if (members.length === 0) throw new Error('ONNX export: empty ensemble');
  const K = members.length;
  const Fc = members[0].compound.inDim;
  const Fg = members[0].genotype.inDim;
  const E = members[0].embedDim + 2;
  const init: P.ITensorProto[] = [];
  const nodes: P.INodeProto[] = [];
  towerNodes('compound', 'compound', members, OUTPUT_NAMES.compoundEmbedding, init, nodes);
  towerNodes('genotype', 'genotype', members, OUTPUT_NAMES.genotypeEmbedding, init, nodes);
  nodes.push(
    node('Transpose', [OUTPUT_NAMES.genotypeEmbedding], ['genotype_embedding_t'], [intsAttr('perm', [0, 2, 1])]),
    node('MatMul', [OUTPUT_NAMES.compoundEmbedding, 'genotype_embedding_t'], [OUTPUT_NAMES.members]),
    node('ReduceMean', [OUTPUT_NAMES.members], [OUTPUT_NAMES.mean], [intsAttr('axes', [0]), intAttr('keepdims', 0)]),
  );
  const graph: P.IGraphProto = {
    name: 'strata_two_tower_ensemble',
    node: nodes,
    initializer: init,
    input: [valueInfo('compound', ['N', Fc]), valueInfo('genotype', ['M', Fg])],
    output: [
      valueInfo(OUTPUT_NAMES.mean, ['N', 'M']),
      valueInfo(OUTPUT_NAMES.members, [K, 'N', 'M']),
      valueInfo(OUTPUT_NAMES.compoundEmbedding, [K, 'N', E]),
      valueInfo(OUTPUT_NAMES.genotypeEmbedding, [K, 'M', E]),
    ],
  };
  const model: P.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: opts.producer ?? 'strata-train',
    producerVersion: '1',
    docString: opts.docString ?? 'Strata two-tower ensemble: ln IC50 (µM) for compound × genotype.',
    graph,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
