"""PyTorch counterpart of one outer iteration of the sample's gradient matching (DC, --method dc) and distribution
matching with siamese augmentation (DM, --method dm) on MNIST at --ipc images per class (1 by default): the papers'
ConvNet (width 128, depth 3, instance norm), 256 real images per class, PyTorch's default initialisation, SGD with
momentum 0.5 on the synthetic images. DC follows its reference's loops: at 10 images per class 10 matching steps, the
network trained 50 epochs on the synthetic images between them (plain SGD at 0.01, batches of 256). Augmentation follows the reference's DSA: one transformation per class and iteration (colour, crop,
cutout, flip, scale or rotate), its parameters shared by the real and the synthetic batch. Prints the median seconds per
iteration, to set beside the sample's "Seconds/iteration" at the same thread count."""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from convnet import conv_net
from evaluate import augment


def embed(network, x):
    return network[:-1](x)  # every layer but the classifier


def distance(real, synthetic):
    """The DC paper's layer-wise distance: sum over output units of 1 - cosine; biases and norm parameters left out."""
    total = 0
    for a, b in zip(real, synthetic):
        if a.dim() == 1:
            continue
        a, b = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
        total = total + torch.sum(1 - torch.sum(a * b, dim=-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-6))
    return total


# The DC reference's (outer, inner) loops by images per class, as the sample's GradientMatchingOptions.PapersLoopTable.
LOOPS = {1: (1, 1), 10: (10, 50), 20: (20, 25), 30: (30, 20), 40: (40, 15), 50: (50, 10)}


def train_network(network, images, labels, epochs, batch=256, lr=0.01):
    """The inner loop: plain SGD on the (detached) synthetic images, shuffled batches."""
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(images.shape[0])
        for start in range(0, images.shape[0], batch):
            chosen = order[start:start + batch]
            optimizer.zero_grad()
            F.cross_entropy(network(images[chosen]), labels[chosen]).backward()
            optimizer.step()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", choices=["dc", "dm"], default="dc")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256, help="real images per class")
    parser.add_argument("--ipc", type=int, default=1, choices=sorted(LOOPS), help="synthetic images per class")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    classes = 10
    real = [torch.randn(2000, 1, 28, 28) for _ in range(classes)]  # stands in for MNIST's 6,000 per class: the cost is the same
    synthetic = torch.randn(classes, args.ipc, 1, 28, 28, requires_grad=True)
    optimizer = torch.optim.SGD([synthetic], lr=0.1 if args.method == "dc" else 1.0, momentum=0.5)
    outer, inner = LOOPS[args.ipc] if args.method == "dc" else (1, 0)
    synthetic_labels = torch.arange(classes).repeat_interleave(args.ipc)
    times = []
    for iteration in range(args.iterations + 1):
        start = time.perf_counter()
        network = conv_net()  # a fresh draw every iteration
        parameters = list(network.parameters())
        for step in range(outer):
            loss = 0
            for c in range(classes):
                batch = real[c][torch.randperm(real[c].shape[0])[:args.batch]]
                if args.method == "dc":
                    labels = torch.full((args.batch,), c)
                    real_gradient = [g.detach() for g in torch.autograd.grad(F.cross_entropy(network(batch), labels), parameters)]
                    synthetic_gradient = torch.autograd.grad(F.cross_entropy(network(synthetic[c]), labels[:args.ipc]), parameters, create_graph=True)
                    loss = loss + distance(real_gradient, synthetic_gradient)
                else:
                    seed = torch.randint(0, 2 ** 31, (1,), generator=generator).item()
                    with torch.no_grad():
                        real_mean = embed(network, augment(batch, torch.Generator().manual_seed(seed), siamese=True)).mean(0)
                    synthetic_mean = embed(network, augment(synthetic[c], torch.Generator().manual_seed(seed), siamese=True)).mean(0)
                    loss = loss + torch.sum((real_mean - synthetic_mean) ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step < outer - 1:
                train_network(network, synthetic.detach().reshape(-1, 1, 28, 28), synthetic_labels, inner)
        if iteration >= 1:  # the first iteration warms up allocators and kernels
            times.append(time.perf_counter() - start)
    print(f"{args.method.upper()} outer iteration, {args.ipc} image(s) per class, {args.batch} real per class, {args.threads} thread(s): "
          f"median {statistics.median(times):.3f} s over {args.iterations} iterations")


if __name__ == "__main__":
    main()
