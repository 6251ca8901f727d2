#!/usr/bin/env python3
"""PyTorch reference for `embviz bench train`: the same benchmark network and the same measurement.

conv3x3(32, padding=1)+ReLU+maxpool2, conv3x3(64, padding=1)+ReLU+maxpool2, dense(32)+ReLU, dense(10);
Adam lr=1e-3; batch 64 of random 28x28x1 images with random labels; warmup steps untimed.
Prints one line with images_per_second=<float>, like `embviz bench train`.

Usage: /usr/bin/python3 torch_bench.py [-steps N] [-batch B] [-warmup W] [-threads T]
"""
import argparse
import time

import torch
import torch.nn as nn


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-steps", type=int, default=50)
    p.add_argument("-batch", type=int, default=64)
    p.add_argument("-warmup", type=int, default=3)
    p.add_argument("-threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()

    def batch():
        return torch.rand(a.batch, 1, 28, 28), torch.randint(0, 10, (a.batch,))

    def step(x, y):
        opt.zero_grad()
        loss = lossf(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    t0 = time.perf_counter()
    for _ in range(max(a.warmup, 1)):
        step(*batch())
    warm = time.perf_counter() - t0
    batches = [batch() for _ in range(a.steps)]
    t0, c0 = time.perf_counter(), time.process_time()
    for x, y in batches:
        loss = step(x, y)
    el, cpu = time.perf_counter() - t0, time.process_time() - c0
    print("bench train: model=CNN backend=torch-%s threads=%d steps=%d batch=%d warmup_s=%.2f ms_per_step=%.2f "
          "cpu_ms_per_step=%.2f final_loss=%.4f images_per_second=%.1f" % (
              torch.__version__, a.threads, a.steps, a.batch, warm, 1000 * el / a.steps, 1000 * cpu / a.steps, loss,
              a.steps * a.batch / el))


if __name__ == "__main__":
    main()
