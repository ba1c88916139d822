"""LeNet through PyTorch (CPU), timed the way test/Microsoft.ML.DatasetDistillation.Benchmarks' LeNetBenchmarks times ours:
forward + backward of the cross-entropy on a batch (1024 or 10 images), and the distillation step's gradient of a
gradient on the batch (g = dloss/dw recorded, then d<g, v>/d(w, x)). Prints one Markdown row per case: the median of
--repeats timed calls after --warmup untimed ones, in milliseconds.

    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 /usr/bin/python3 bench/lenet_torch.py --threads 1
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def lenet(w, x):
    h = F.max_pool2d(F.relu(F.conv2d(x, w[0], w[1], padding=2)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w[2], w[3])), 2)
    h = h.flatten(1)
    h = F.relu(F.linear(h, w[4], w[5]))
    h = F.relu(F.linear(h, w[6], w[7]))
    return F.linear(h, w[8], w[9])


def weights(generator):
    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]
    return [torch.randn(s, generator=generator) * 0.1 for s in shapes]


def timed(call, warmup, repeats):
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return 1000 * statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(1)
    w0 = weights(generator)
    print(f"| PyTorch {torch.__version__} | batch | threads | ms |")
    print("|---|---|---|---|")
    for batch in (1024, 10):
        images = torch.rand(batch, 1, 28, 28, generator=generator)
        labels = torch.arange(batch) % 10
        direction = [torch.rand(p.shape, generator=generator) - 0.5 for p in w0]

        def forward_backward():
            w = [p.detach().requires_grad_() for p in w0]
            return torch.autograd.grad(F.cross_entropy(lenet(w, images), labels), w)

        def gradient_of_gradient():
            w = [p.detach().requires_grad_() for p in w0]
            x = images.detach().requires_grad_()
            g = torch.autograd.grad(F.cross_entropy(lenet(w, x), labels), w, create_graph=True)
            return torch.autograd.grad(g, w + [x], direction)

        print(f"| ForwardBackward | {batch} | {args.threads} | {timed(forward_backward, args.warmup, args.repeats):.3f} |")
        print(f"| GradientOfGradient | {batch} | {args.threads} | {timed(gradient_of_gradient, args.warmup, args.repeats):.3f} |")


if __name__ == "__main__":
    main()
