#!/usr/bin/env python3
"""PyTorch reference for `embviz bench train`: the same networks and the same measurement.

-model cnn (the benchmark CNN, models.BenchTrain's default):
  conv3x3(32, padding=1)+ReLU+maxpool2, conv3x3(64, padding=1)+ReLU+maxpool2, dense(32)+ReLU, dense(10);
  random 28x28x1 images.
-model vit (models.ViT's defaults): 32x32x3 images in 4x4 patches (flattened in (py, px, c) order) ->
  dense(256) -> class token + learned positional embedding -> 4 pre-norm blocks (x += MHA(LN(x)) with
  separate query/key/value/output dense layers and 4 heads; x += dense(512)+GELU(tanh)+dense(256) of LN(x))
  -> LN -> class token -> dense(10). LayerNorm epsilon 1e-3 with gain and offset, as GoMLX's. Same
  parameter count as the Go model (printed as params=).

-mode train: Adam lr=1e-3, batch of random images with random labels, warmup steps untimed; the timed
  steps each run forward, backward and the optimizer update.
-mode infer: eval mode under torch.no_grad(), batches of random images; each timed step computes the
  embedding and the logits of one batch (what a training run's snapshot evaluates).
Prints one line with ms_per_step=, cpu_ms_per_step= and images_per_second=<float>, like `embviz bench train`.

Usage: /usr/bin/python3 torch_bench.py [-model cnn|vit] [-mode train|infer] [-steps N] [-batch B]
                                       [-warmup W] [-threads T] [-params]
"""
import argparse
import math
import time

import torch
import torch.nn as nn


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(7 * 7 * 64, 32), nn.ReLU())
        self.head = nn.Linear(32, 10)

    def embed(self, x):
        return self.features(x)

    def forward(self, x):
        return self.head(self.embed(x))


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value, self.output = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        b, t, d = x.shape
        h, dh = self.heads, d // self.heads

        def split(lin):
            return lin(x).reshape(b, t, h, dh).transpose(1, 2)

        q, k, v = split(self.query), split(self.key), split(self.value)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        out = torch.softmax(scores, dim=-1) @ v
        return self.output(out.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d, heads, mlp_ratio):
        super().__init__()
        self.ln1 = nn.LayerNorm(d, eps=1e-3)
        self.attention = Attention(d, heads)
        self.ln2 = nn.LayerNorm(d, eps=1e-3)
        self.mlp = nn.Sequential(nn.Linear(d, mlp_ratio * d), nn.GELU(approximate="tanh"), nn.Linear(mlp_ratio * d, d))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class ViT(nn.Module):
    """models.ViT with its defaults: input [batch, 32, 32, 3] (channels last, like the Go model)."""

    def __init__(self, size=32, channels=3, patch=4, d=256, depth=4, heads=4, mlp_ratio=2, classes=10):
        super().__init__()
        self.size, self.channels, self.patch = size, channels, patch
        tokens = (size // patch) ** 2 + 1
        self.patch_embed = nn.Linear(patch * patch * channels, d)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, tokens, d) * 0.02)
        self.blocks = nn.Sequential(*[Block(d, heads, mlp_ratio) for _ in range(depth)])
        self.ln_final = nn.LayerNorm(d, eps=1e-3)
        self.head = nn.Linear(d, classes)

    def embed(self, x):
        b, s, p, c = x.shape[0], self.size, self.patch, self.channels
        x = x.reshape(b, s // p, p, s // p, p, c).permute(0, 1, 3, 2, 4, 5).reshape(b, (s // p) ** 2, p * p * c)
        x = self.patch_embed(x)
        x = torch.cat([self.cls.expand(b, -1, -1), x], dim=1) + self.pos
        x = self.ln_final(self.blocks(x))
        return x[:, 0]

    def forward(self, x):
        return self.head(self.embed(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-model", choices=["cnn", "vit"], default="cnn")
    p.add_argument("-mode", choices=["train", "infer"], default="train")
    p.add_argument("-steps", type=int, default=50)
    p.add_argument("-batch", type=int, default=64)
    p.add_argument("-warmup", type=int, default=3)
    p.add_argument("-threads", type=int, default=2)
    p.add_argument("-params", action="store_true", help="print the parameter count (params=N) and exit")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    if a.model == "cnn":
        net, shape = CNN(), (1, 28, 28)
    else:
        net, shape = ViT(), (32, 32, 3)
    params = sum(q.numel() for q in net.parameters())
    if a.params:
        print("params=%d" % params)
        return
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()

    def batch():
        return torch.rand(a.batch, *shape), torch.randint(0, 10, (a.batch,))

    def train_step(x, y):
        opt.zero_grad()
        loss = lossf(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def infer_step(x, y):
        with torch.no_grad():
            emb = net.embed(x)
            logits = net.head(emb)
            return lossf(logits, y).item()

    step = train_step
    if a.mode == "infer":
        net.eval()
        step = infer_step
    t0 = time.perf_counter()
    for _ in range(max(a.warmup, 1)):
        step(*batch())
    warm = time.perf_counter() - t0
    batches = [batch() for _ in range(a.steps)]
    t0, c0 = time.perf_counter(), time.process_time()
    for x, y in batches:
        loss = step(x, y)
    el, cpu = time.perf_counter() - t0, time.process_time() - c0
    print("bench %s: model=%s backend=torch-%s threads=%d params=%d steps=%d batch=%d warmup_s=%.2f ms_per_step=%.2f "
          "cpu_ms_per_step=%.2f final_loss=%.4f images_per_second=%.1f" % (
              a.mode, a.model.upper() if a.model == "cnn" else "ViT", torch.__version__, a.threads, params, a.steps,
              a.batch, warm, 1000 * el / a.steps, 1000 * cpu / a.steps, loss, a.steps * a.batch / el))


if __name__ == "__main__":
    main()
