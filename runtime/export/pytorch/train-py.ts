/**
 * train.py of the PyTorch export: trains the exported model on the data formats `heracles train` reads
 * (IDX folders; CSV series with the ETT borders or 70/10/20 and train-only standardisation), with the
 * document's training settings, on one process (`python3 train.py`) or many (`torchrun`, DDP with gloo on
 * CPU and nccl on GPU, a DistributedSampler per process). The conventions mirror runtime/data/*.ts and
 * runtime/train/*.ts; keep them in step.
 *
 * The per-process batch is the document's batch size divided by the number of processes, so the global
 * batch (and with it the learning-rate schedule) is the same whatever the process count: a DistributedSampler
 * step over N processes then sees the same samples as one process's step.
 */
export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""
Trains the exported Heracles model on the same data formats as "heracles train", on one process or many.

    python3 train.py --data ETTh1.csv
    torchrun --nproc_per_node=4 train.py --data ETTh1.csv --epochs 20

Data: a folder of IDX files (train-images*, train-labels*, t10k-images*, t10k-labels*, optionally .gz), or a
.csv / .csv.gz series (header line; a date column is skipped; ETTh*/ETTm* files use the standard ETT
borders, other files 70/10/20 or --split; every column is standardised with the train rows' statistics).
Settings come from the training section of document.heracles.json; flags override them. Training starts
from the weights in this folder (or --weights) and saves the result in the same format to --out. The first
process prints one JSON line per epoch: {"epoch", "trainLoss", "valLoss", "val", "lr", "seconds"}.
"""
import argparse
import csv
import gzip
import io
import json
import math
import os
import re
import struct
import sys
import threading
import time
import warnings

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import INPUT_SHAPES, OUTPUT_SHAPES, HeraclesModel, load_weights, save_weights  # noqa: E402


# DDP notes that depthwise kernels' gradients come in another memory layout than its buckets; harmless.
warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")


class DataError(Exception):
    """Input the user can fix; the message names the file and the row, column or byte."""


# ----------------------------------------------------------------------------------------------
# Data, with the conventions of heracles train
# ----------------------------------------------------------------------------------------------


def read_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def parse_idx(path, magic):
    b = read_bytes(path)
    if len(b) < 4:
        raise DataError(f"{path}: the file is only {len(b)} bytes; an IDX file starts with a 4-byte magic number")
    got = struct.unpack(">I", b[:4])[0]
    if got != magic:
        raise DataError(f"{path}: byte 0: expected the IDX magic number 0x{magic:08x}, got 0x{got:08x}")
    ndim = b[3]
    start = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", b[4:start])
    size = math.prod(dims)
    if len(b) < start + size:
        raise DataError(f"{path}: the header promises {size} values from byte {start}, the data ends at byte {len(b)}")
    return torch.frombuffer(bytearray(b[start:start + size]), dtype=torch.uint8).reshape(dims)


def load_idx(folder, classes):
    """Train/val/test from an MNIST-style folder; validation is the last min(5000, n/10) train images."""
    names = sorted(os.listdir(folder))

    def find(*prefixes):
        hits = [n for n in names if n.lower().startswith(prefixes)]
        hits = [n for n in hits if not n.lower().endswith(".gz")] or hits
        if len(hits) != 1:
            want = " or ".join(p + "*" for p in prefixes)
            raise DataError(f"{folder}: expected one {want} file (optionally .gz), found {', '.join(hits) or 'none'}")
        return os.path.join(folder, hits[0])

    sets = {}
    for split, prefixes in (("train", ("train",)), ("test", ("t10k", "test"))):
        images = parse_idx(find(*(p + "-images" for p in prefixes)), 0x803)
        labels = parse_idx(find(*(p + "-labels" for p in prefixes)), 0x801).long()
        if images.shape[0] != labels.shape[0]:
            raise DataError(f"{folder}: {split} has {images.shape[0]} images but {labels.shape[0]} labels")
        if list(images.shape[1:]) + [1] != INPUT_SHAPES[0]:
            raise DataError(f"{folder}: images are {list(images.shape[1:])}, the model expects {INPUT_SHAPES[0]}")
        bad = (labels >= classes).nonzero()
        if len(bad):
            i = int(bad[0])
            raise DataError(f"{folder}: {split} label {i} is {int(labels[i])}, the model has {classes} classes")
        sets[split] = ((images.float() / 255).unsqueeze(-1), labels)
    x, y = sets["train"]
    n = x.shape[0]
    val = min(5000, n // 10)
    return {
        "train": TensorDataset(x[: n - val], y[: n - val]),
        "val": TensorDataset(x[n - val:], y[n - val:]),
        "test": TensorDataset(*sets["test"]),
    }


NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
MISSING = re.compile(r"^(nan|na|n/a|null|none|-|\?)$", re.I)
DATE_NAME = re.compile(r"^(date|time|timestamp|datetime|date_time|ds)$", re.I)
DATE_VALUE = re.compile(r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2})")


def read_csv(path):
    """Header, numeric columns, rows x channels values (float64); a timestamp column is skipped."""
    text = read_bytes(path).decode("utf-8-sig")
    head = re.split(r"[\r\n]", text, 1)[0]
    delimiter = max([",", ";", "\t", "|"], key=head.count) if any(d in head for d in ",;\t|") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for cells in reader:
        if cells and not (len(cells) == 1 and cells[0].strip() == ""):
            rows.append((reader.line_num, cells))
    if len(rows) < 3:
        raise DataError(f"{path}: expected a header line and at least 2 data rows, found {max(0, len(rows) - 1)} rows")
    header = [h.strip() for h in rows[0][1]]
    first = rows[1][1]
    date = -1
    for j, name in enumerate(header):
        v = first[j].strip() if j < len(first) else ""
        if DATE_NAME.match(name) or (v and not NUMBER.match(v) and not MISSING.match(v) and (j == 0 or DATE_VALUE.match(v))):
            date = j
            break
    cols = [j for j in range(len(header)) if j != date]
    values = []
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise DataError(f"{path}: row {line}: {len(cells)} values, but the header has {len(header)} columns")
        row = []
        for j in cols:
            cell = cells[j].strip()
            v = float(cell) if NUMBER.match(cell) else math.nan
            if not math.isfinite(v):
                why = "the value is missing" if not cell else f"{cell!r} is not a finite number"
                raise DataError(f"{path}: row {line}, column {header[j]!r}: {why}; every cell of a series column must be a number")
            row.append(v)
        values.append(row)
    return [header[j] for j in cols], torch.tensor(values, dtype=torch.float64)


def borders_of(path, rows, split):
    """(start, end) rows of train, val, test: --split, else ETT borders for ETTh*/ETTm*, else 70/10/20."""

    def fractions(f):
        train, test = int(f[0] * rows), int(f[2] * rows)
        val = rows - train - test if abs(sum(f) - 1) < 1e-9 else int(f[1] * rows)
        return counts([train, val, test])

    def counts(c):
        return {"train": (0, c[0]), "val": (c[0], c[0] + c[1]), "test": (c[0] + c[1], c[0] + c[1] + c[2])}

    if split:
        parts = [p for p in re.split(r"[,;\s]+", split) if p]
        percent = all(p.endswith("%") for p in parts)
        try:
            nums = [float(p.rstrip("%")) / (100 if percent else 1) for p in parts]
        except ValueError:
            nums = []
        if len(nums) != 3 or min(nums) <= 0:
            raise DataError(f"--split {split!r}: give three positive numbers, fractions like 0.7,0.1,0.2 or row counts")
        b = fractions(nums) if percent or all(v < 1 for v in nums) else counts([int(v) for v in nums])
        if b["test"][1] > rows or any(e <= s for s, e in b.values()):
            raise DataError(f"--split {split!r} does not fit a series of {rows} rows")
        return b
    base = os.path.basename(path)
    ett = 1 if re.match(r"etth", base, re.I) else 4 if re.match(r"ettm", base, re.I) else 0
    if ett:
        month = 30 * 24 * ett
        b = counts([12 * month, 4 * month, 4 * month])
        if rows < b["test"][1]:
            raise DataError(f"{path}: ETT files use the standard borders (rows 0-{b['test'][1]}), this one has {rows} rows; pass --split 0.7,0.1,0.2")
        return b
    return fractions([0.7, 0.1, 0.2])


class Windows(Dataset):
    """Sliding windows of one split: lookback rows in, the next horizon rows out. Val/test windows may
    start up to lookback rows before their border, so the first target row is the split's first row."""

    def __init__(self, values, border, split, lookback, horizon, path):
        b0, b1 = border
        self.values, self.lookback, self.horizon = values, lookback, horizon
        self.start = b0 if split == "train" else max(0, b0 - lookback)
        self.count = b1 - self.start - lookback - horizon + 1
        if self.count < 1:
            raise DataError(f"{path}: lookback {lookback} + horizon {horizon} rows do not fit in the {split} split (rows {b0}-{b1})")

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        r = self.start + i
        return self.values[r:r + self.lookback], self.values[r + self.lookback:r + self.lookback + self.horizon]


def load_series(path, split):
    columns, raw = read_csv(path)
    lookback, channels = INPUT_SHAPES[0]
    horizon = OUTPUT_SHAPES[0][0]
    if len(columns) != channels:
        raise DataError(f"{path}: the model forecasts {channels} series, the file has {len(columns)} numeric columns ({', '.join(columns)})")
    b = borders_of(path, raw.shape[0], split)
    train = raw[b["train"][0]:b["train"][1]]
    mean, std = train.mean(0), train.std(0, unbiased=False)
    constant = train.amax(0) == train.amin(0)
    mean = torch.where(constant, train.amin(0), mean)
    std = torch.where(constant | (std == 0), torch.ones_like(std), std)
    values = ((raw - mean) / std).float()
    return {s: Windows(values, b[s], s, lookback, horizon, path) for s in ("train", "val", "test")}


def load_data(path, task):
    if task == "classification":
        if not os.path.isdir(path):
            raise DataError(f"{path}: expected a folder of IDX files (train-images*, train-labels*, t10k-images*, t10k-labels*)")
        return load_idx(path, OUTPUT_SHAPES[0][0])
    if os.path.isdir(path) or not re.search(r"\.csv(\.gz)?$", path, re.I):
        raise DataError(f"{path}: expected a .csv or .csv.gz time series")
    return load_series(path, ARGS.split)


# ----------------------------------------------------------------------------------------------
# Training, as runtime/train/trainer.ts does it
# ----------------------------------------------------------------------------------------------


def lr_at(epoch, t):
    """Linear warm-up, then cosine decay to 1% of the learning rate (or constant); epoch is fractional."""
    lr, epochs, warmup = t["learningRate"], t["epochs"], t["warmupEpochs"]
    if warmup > 0 and epoch < warmup:
        return lr * (epoch + 1e-9) / warmup
    if t["schedule"] == "constant":
        return lr
    low = lr * 0.01
    progress = min(1.0, (epoch - warmup) / max(1e-9, epochs - warmup))
    return low + 0.5 * (lr - low) * (1 + math.cos(math.pi * progress))


def make_optimizer(model, t):
    """Decay applies to weights of rank >= 2 only (not biases or norm scales), as in the studio."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": t["weightDecay"]},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    name = t["optimizer"]
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=t["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    if name == "adam":
        return torch.optim.Adam(groups, lr=t["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    return torch.optim.SGD(groups, lr=t["learningRate"], momentum=t["momentum"])


def loss_of(task, pred, y, smoothing=0.0):
    if task == "classification":
        return F.cross_entropy(pred, y, label_smoothing=smoothing)
    return F.mse_loss(pred, y)


def all_sum(values, device):
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized():
        dist.all_reduce(t)
    return t.tolist()


@torch.no_grad()
def evaluate(model, dataset, task, batch, device, rank, world):
    """Loss and metrics over a whole split; each process takes every world-th sample, sums are combined."""
    model.eval()
    part = torch.utils.data.Subset(dataset, range(rank, len(dataset), world))
    sums = [0.0] * 5  # loss * n, n, accuracy hits / squared error, top-5 hits / absolute error, values
    for x, y in DataLoader(part, batch_size=batch):
        x, y = x.to(device), y.to(device)
        pred = model(x)
        sums[0] += loss_of(task, pred, y).item() * len(x)
        sums[1] += len(x)
        if task == "classification":
            top = pred.topk(min(5, pred.shape[1]), dim=1).indices
            sums[2] += (top[:, 0] == y).sum().item()
            sums[3] += (top == y[:, None]).any(dim=1).sum().item()
            sums[4] += len(x)
        else:
            sums[2] += (pred - y).pow(2).sum().item()
            sums[3] += (pred - y).abs().sum().item()
            sums[4] += y.numel()
    loss_n, n, a, b, m = all_sum(sums, device)
    if n == 0:
        return None, {}
    metrics = {"accuracy": a / m, "top5": b / m} if task == "classification" else {"mse": a / m, "mae": b / m}
    return loss_n / n, metrics


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="IDX folder or .csv / .csv.gz series")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int, help="global batch size, split over the processes")
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--split", help='series split: "0.7,0.1,0.2" or row counts "8640,2880,2880"')
    p.add_argument("--weights", default=HERE, help="folder with weights.bin + weights.json to start from")
    p.add_argument("--out", default="trained", help="folder for the trained weights and history.json")
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes per training process")
    p.add_argument("--cpu", action="store_true", help="train on the CPU even when a GPU is available")
    return p.parse_args()


def main():
    with open(os.path.join(HERE, "document.heracles.json"), encoding="utf-8") as f:
        doc = json.load(f)
    task = doc["task"]["kind"]
    t = {
        "optimizer": "adamw", "learningRate": 1e-3, "weightDecay": 0.05, "momentum": 0.9, "epochs": 10,
        "batchSize": 64, "schedule": "cosine", "warmupEpochs": 0, "labelSmoothing": 0, "gradClip": 0,
        "earlyStoppingPatience": 0, "seed": 0,
        **doc.get("training", {}),
    }
    for flag, key in (("epochs", "epochs"), ("batch_size", "batchSize"), ("lr", "learningRate"), ("seed", "seed")):
        if getattr(ARGS, flag) is not None:
            t[key] = getattr(ARGS, flag)

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available() and not ARGS.cpu
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    torch.manual_seed(t["seed"] * 1000 + rank)  # dropout and drop-path masks differ between processes

    data = load_data(ARGS.data, task)
    model = HeraclesModel()
    index = load_weights(model, ARGS.weights)
    model.to(device)
    net = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None) if world > 1 else model
    batch = max(1, t["batchSize"] // world)
    sampler = DistributedSampler(data["train"], num_replicas=world, rank=rank, shuffle=True, seed=t["seed"])
    loader = DataLoader(data["train"], batch_size=batch, sampler=sampler, num_workers=ARGS.workers, pin_memory=cuda)
    optimizer = make_optimizer(model, t)
    params = [p for p in model.parameters() if p.requires_grad]
    if rank == 0:
        print(
            f"Training {doc['metadata']['name']} on {ARGS.data}: {len(data['train'])} train / {len(data['val'])} val / "
            f"{len(data['test'])} test samples, {world} process(es) on {device.type}, batch {batch} per process",
            file=sys.stderr, flush=True,
        )

    history, best, best_state, since_best, stop = [], None, None, 0, "completed"
    t0 = time.time()
    for epoch in range(t["epochs"]):
        te = time.time()
        sampler.set_epoch(epoch)
        net.train()
        loss_sum, seen, batches = 0.0, 0, len(loader)
        for b, (x, y) in enumerate(loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            lr = lr_at(epoch + b / batches, t)
            for g in optimizer.param_groups:
                g["lr"] = lr
            loss = loss_of(task, net(x), y, t["labelSmoothing"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if all_sum([0.0 if math.isfinite(loss.item()) else 1.0], device)[0] > 0:
                stop = "diverged"
                break
            if t["gradClip"] > 0:
                torch.nn.utils.clip_grad_norm_(params, t["gradClip"])
            optimizer.step()
            loss_sum += loss.item() * len(x)
            seen += len(x)
        if stop == "diverged":
            if rank == 0:
                print(f"the loss stopped being finite in epoch {epoch + 1}; try a lower --lr", file=sys.stderr)
            break
        loss_sum, seen = all_sum([loss_sum, seen], device)
        record = {"epoch": epoch + 1, "trainLoss": loss_sum / seen}
        val_loss, val = evaluate(model, data["val"], task, max(batch, 128), device, rank, world)
        if val_loss is not None:
            record.update(valLoss=val_loss, val=val)
        record.update(lr=lr, seconds=round(time.time() - te, 3))
        history.append(record)
        if rank == 0:
            print(json.dumps(record), flush=True)
        if val_loss is not None and (best is None or val_loss < best["valLoss"]):
            best = {"epoch": epoch + 1, "valLoss": val_loss}
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            since_best = 0
        else:
            since_best += 1
        if t["earlyStoppingPatience"] > 0 and val_loss is not None and since_best >= t["earlyStoppingPatience"]:
            stop = "early-stopping"
            break
    if t["earlyStoppingPatience"] > 0 and best_state is not None:
        model.load_state_dict(best_state)  # keep the best epoch, as heracles train does

    test_loss, test = evaluate(model, data["test"], task, max(batch, 128), device, rank, world)
    if rank == 0:
        summary = {"stop": stop, "epochs": len(history), "seconds": round(time.time() - t0, 3), "test": test}
        print(json.dumps(summary), flush=True)
        save_weights(model, ARGS.out, index)
        with open(os.path.join(ARGS.out, "history.json"), "w", encoding="utf-8") as f:
            json.dump({"config": t, "processes": world, "data": ARGS.data, "history": history, "best": best, **summary}, f, indent=1)
    status = 2 if stop == "diverged" else 0
    if world > 1:
        shut_down(rank, status)
    return status


def shut_down(rank, status, limit=60):
    """Tears the process group down, waiting at most limit seconds: everything is saved by now, and
    destroy_process_group() sometimes never returns (pytorch/pytorch#75097), which would hold the job."""
    def teardown():
        # Every process arrives first: gloo can hang when one leaves while rank 0 still saves.
        dist.barrier()
        dist.destroy_process_group()

    worker = threading.Thread(target=teardown, daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        print(f"train.py: process {rank}: the process group did not shut down within {limit} s; "
              "leaving without it (the results are saved)", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(status)


if __name__ == "__main__":
    ARGS = parse_args()
    try:
        sys.exit(main())
    except DataError as e:
        print(f"train.py: {e}", file=sys.stderr)
        sys.exit(2)
`;
