"""PyTorch counterpart of ConvNetBenchmarks.ForwardBackward: the DC/DSA/DM ConvNet (width 128, depth 3, instance norm
as GroupNorm(C, C), ReLU, 2x2 average pooling, linear classifier), forward + backward in the weights on 256 MNIST-sized
images. Prints the median time per iteration."""
import argparse
import statistics
import time

import torch
import torch.nn as nn


def conv_net(channels=1, side=28, classes=10, width=128, depth=3):
    layers = []
    for block in range(depth):
        layers += [nn.Conv2d(channels if block == 0 else width, width, 3, padding=1),
                   nn.GroupNorm(width, width, affine=True), nn.ReLU(inplace=True), nn.AvgPool2d(2, 2)]
        side //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(width * side * side, classes))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    network = conv_net()
    images = torch.rand(args.batch, 1, 28, 28) - 0.5
    labels = torch.arange(args.batch) % 10
    loss_function = nn.CrossEntropyLoss()
    times = []
    for iteration in range(args.iterations + 5):
        start = time.perf_counter()
        network.zero_grad(set_to_none=True)
        loss_function(network(images), labels).backward()
        if iteration >= 5:  # the first iterations warm up allocators and kernels
            times.append(time.perf_counter() - start)
    print(f"ConvNet forward+backward, batch {args.batch}, {args.threads} thread(s): median {statistics.median(times) * 1e3:.1f} ms "
          f"over {args.iterations} iterations")


if __name__ == "__main__":
    main()
