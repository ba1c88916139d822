"""PyTorch counterpart of ConvNetBenchmarks: the DC/DSA/DM ConvNet (width 128, depth 3, instance norm as GroupNorm(C, C),
ReLU, 2x2 average pooling, linear classifier; the first convolution pads a single channel by 3, as the papers' code does), forward + backward in the weights on 256 MNIST-sized images
(ForwardBackward), or with --second-order the gradient of a gradient on 10 images (GradientOfGradient: the weight
gradient recorded with its graph, then its product with a fixed vector differentiated in the weights and the images).
Prints the median time per iteration."""
import argparse
import statistics
import time

import torch
import torch.nn as nn


def conv_net(channels=1, side=28, classes=10, width=128, depth=3, first_padding=None):
    layers = []
    if first_padding is None:
        first_padding = 3 if channels == 1 else 1  # MNIST's 28 x 28 becomes 32 x 32
    side += 2 * first_padding - 2
    for block in range(depth):
        layers += [nn.Conv2d(channels if block == 0 else width, width, 3, padding=first_padding if block == 0 else 1),
                   nn.GroupNorm(width, width, affine=True), nn.ReLU(inplace=True), nn.AvgPool2d(2, 2)]
        side //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(width * side * side, classes))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--batch", type=int, default=None, help="default: 256, or 10 with --second-order")
    parser.add_argument("--second-order", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    args.batch = args.batch or (10 if args.second_order else 256)
    network = conv_net()
    parameters = list(network.parameters())
    images = torch.rand(args.batch, 1, 28, 28) - 0.5
    direction = [torch.rand_like(p) - 0.5 for p in parameters]
    labels = torch.arange(args.batch) % 10
    loss_function = nn.CrossEntropyLoss()
    times = []
    for iteration in range(args.iterations + 5):
        start = time.perf_counter()
        if args.second_order:
            x = images.detach().requires_grad_()
            gradient = torch.autograd.grad(loss_function(network(x), labels), parameters, create_graph=True)
            torch.autograd.grad(gradient, parameters + [x], grad_outputs=direction)
        else:
            network.zero_grad(set_to_none=True)
            loss_function(network(images), labels).backward()
        if iteration >= 5:  # the first iterations warm up allocators and kernels
            times.append(time.perf_counter() - start)
    print(f"ConvNet {'gradient of gradient' if args.second_order else 'forward+backward'}, batch {args.batch}, {args.threads} thread(s): median {statistics.median(times) * 1e3:.1f} ms "
          f"over {args.iterations} iterations")


if __name__ == "__main__":
    main()
