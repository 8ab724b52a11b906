/** README.md of the PyTorch export: what is in the folder, how to load, predict, train and scale out. */
import type { HeraclesDocument } from '../../document/schema';
import type { DataInfo } from '../../io/model-dir';
import type { ModelGraph } from '../model-graph';
import { pyIdent } from './names';

export function readme(g: ModelGraph, doc: HeraclesDocument, data: DataInfo, weightCount: number): string {
  const inShape = g.inputs[0].shape;
  const outShape = g.outputs[0].shape;
  const forecasting = doc.task.kind === 'forecasting';
  const example = forecasting ? 'ETTh1.csv' : 'fashion-mnist/';
  const t = doc.training;
  // A real nested layer of this model, to show how node paths become module names.
  const nested = g.layers.map((l) => l.name).find((n) => n.split('/').length >= 3) ?? 'stage1/b0/ffn/fc1';
  const predict = forecasting
    ? [
        '# x: [B, lookback, series] windows, standardised with the training statistics in data.json',
        `mean = torch.tensor(info["mean"]); std = torch.tensor(info["std"])`,
        `window = torch.randn(${inShape.join(', ')}) * std + mean   # use the last ${inShape[0]} rows of your series here`,
        `x = ((window - mean) / std)[None]                          # [1, ${inShape.join(', ')}]`,
        `forecast = model(x)[0] * std + mean                        # [${outShape.join(', ')}], original units`,
      ]
    : [
        `# x: [B, ${inShape.join(', ')}] images, pixels scaled to [0, 1] (channels last, as in the studio)`,
        `x = torch.rand(1, ${inShape.join(', ')})`,
        'probabilities = torch.softmax(model(x), dim=-1)   # class names: info["classNames"]',
      ];
  return `# ${doc.metadata.name} — PyTorch export

Exported from Heracles Studio. The model takes \`[B, ${inShape.join(', ')}]\` and returns \`[B, ${outShape.join(', ')}]\`
(${forecasting ? `a forecast of ${outShape[0]} steps for every series` : `${outShape[0]} class scores (logits)`}).
Tensors are channels-last, exactly as in the studio, so the outputs match the studio's to float32 round-off.

| file | what |
| --- | --- |
| \`model.py\` | the model as plain PyTorch (\`HeraclesModel\`), modules named after the studio's node paths (\`${nested}\` → \`model.${nested
    .split('/')
    .map((p) => pyIdent(p))
    .join('.')}\`), plus \`load_weights\` / \`save_weights\` |
| \`weights.bin\`, \`weights.json\` | ${weightCount} tensors, float32 little-endian, already in PyTorch layouts; the index maps each studio weight to its state-dict key, shape and byte offset |
| \`train.py\` | training on the same data formats as \`heracles train\`, on one process or many (DDP) |
| \`document.heracles.json\`, \`data.json\` | the studio document (training settings) and what the data looked like${forecasting ? ' (columns, train mean/std, splits)' : ' (class names)'} |

Needs Python 3.8+ and PyTorch 1.13 or later; nothing else.

## Load and predict

\`\`\`python
import json, torch
from model import HeraclesModel, load_weights

model = HeraclesModel()
load_weights(model, ".")   # this folder
model.eval()               # BatchNorm uses its running statistics, Dropout/DropPath are off
info = json.load(open("data.json"))
${predict.join('\n')}
\`\`\`

## Train

\`\`\`sh
python3 train.py --data ${example} --out trained
\`\`\`

Settings come from the document's training section (${t.optimizer}, learning rate ${t.learningRate}, ${t.schedule} schedule${
    t.warmupEpochs ? ` after ${t.warmupEpochs} warm-up epoch(s)` : ''
  }, ${t.epochs} epochs, batch ${t.batchSize}, weight decay ${t.weightDecay} on weights of rank ≥ 2${
    t.gradClip ? `, gradients clipped to norm ${t.gradClip}` : ''
  }${t.earlyStoppingPatience ? `, early stopping after ${t.earlyStoppingPatience} epochs without progress` : ''}); \`--epochs\`,
\`--batch-size\`, \`--lr\` and \`--seed\` override them. ${
    forecasting
      ? 'The series is split like `heracles train` does it: the standard ETT borders for `ETTh*`/`ETTm*` files, 70/10/20 otherwise (`--split 0.6,0.2,0.2` or row counts to override), every column standardised with the train rows’ statistics; MSE/MAE are on standardised values.'
      : 'The data is a folder of IDX files (MNIST layout, optionally gzipped); validation is the last 10% of the train images (at most 5000), pixels are scaled to [0, 1].'
  }
Training starts from the weights in this folder (\`--weights DIR\` for others). Each epoch prints one JSON line,
\`{"epoch", "trainLoss", "valLoss", "val", "lr", "seconds"}\`; the end prints the test metrics and writes
\`weights.bin\`, \`weights.json\` and \`history.json\` to \`--out\` (load them with \`load_weights(model, "trained")\`).

## Scale out

\`\`\`sh
torchrun --nproc_per_node=4 train.py --data ${example}                  # 4 processes on one machine
torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --nproc_per_node=8 train.py --data ${example}
\`\`\`

Each process trains a DistributedDataParallel copy on its share of every epoch (a \`DistributedSampler\`); GPUs use
NCCL, CPUs gloo (\`--cpu\` forces the CPU). The batch size is global: with N processes each takes batch/N, so a
step sees the same samples and the learning-rate schedule stays the same as on one process. Only the first
process prints and saves.

PyTorch 1.13 under Python 3.11 (e.g. Debian 12's \`python3-torch\`) has a launcher bug: \`torchrun\` stops with
\`AttributeError: 'NoneType' object has no attribute 'get'\`. Add \`--redirects 9:0 --tee 9:0\` (no redirection
for any process) to work around it.
`;
}
