/**
 * Stand-alone entry for the two commands until the CLI wires them:
 *   node --import tsx core/train/main.ts train --data ../shared/data/gdsc_v17 --out models --id gdsc-twotower-v1
 *   node --import tsx core/train/main.ts evaluate --data ../shared/data/gdsc_v17 --model models/gdsc-twotower-v1
 * Options: --seed, --members (ensemble size; evaluate defaults to the model's), --folds, --threads, --config '{json}',
 * --render-only (evaluate: redraw figures and the card section from evaluation.json without training).
 */
import { parseArgs } from 'node:util';
import { evaluate, rerenderEvaluation } from './evaluate.js';
import { train } from './train.js';
import type { Progress } from './cv.js';

function progress(p: Progress): void {
  process.stderr.write(`[${p.stage}] ${p.done}${p.total !== null ? `/${p.total}` : ''}${p.message ? ` ${p.message}` : ''}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      data: { type: 'string' },
      out: { type: 'string', default: 'models' },
      id: { type: 'string' },
      model: { type: 'string' },
      seed: { type: 'string', default: '1' },
      members: { type: 'string' },
      folds: { type: 'string' },
      threads: { type: 'string' },
      config: { type: 'string' },
      'render-only': { type: 'boolean', default: false },
    },
  });
  if (cmd === 'evaluate' && values['render-only']) {
    if (!values.model) throw new Error('--render-only needs --model <dir>');
    const r = rerenderEvaluation(values.model);
    process.stdout.write(`${JSON.stringify({ figures: r.figures })}\n`);
    return 0;
  }
  if (!values.data) throw new Error('--data <dir with the GDSC csv files> is required');
  const config = values.config ? (JSON.parse(values.config) as Record<string, unknown>) : undefined;
  const threads = values.threads ? Number(values.threads) : undefined;
  if (cmd === 'train') {
    if (!values.id) throw new Error('--id is required');
    const r = await train(
      { dataDir: values.data, outDir: values.out!, id: values.id, seed: Number(values.seed), ensembleSize: values.members ? Number(values.members) : undefined, calibrationFolds: values.folds ? Number(values.folds) : undefined, config, threads },
      progress,
    );
    process.stdout.write(`${JSON.stringify({ dir: r.dir, seconds: r.seconds, calibration: r.calibration })}\n`);
    return 0;
  }
  if (cmd === 'evaluate') {
    const r = await evaluate(
      { dataDir: values.data, modelDir: values.model, seed: Number(values.seed), folds: values.folds ? Number(values.folds) : undefined, ensembleSize: values.members ? Number(values.members) : undefined, config, threads, outFile: values.model ? undefined : 'evaluation.json' },
      progress,
    );
    process.stdout.write(`${JSON.stringify({ seconds: r.seconds, splits: r.splits.map((s) => ({ split: s.split, model: s.model, baselines: s.baselines })), coverage: r.coverage?.pairwise })}\n`);
    return 0;
  }
  throw new Error(`unknown command "${cmd ?? ''}": use train or evaluate`);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
