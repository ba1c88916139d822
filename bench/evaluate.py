"""PyTorch counterpart of the sample's `evaluate --distilled FILE` (DSA's and DM's test protocol): reads a distilled.mldd,
trains --networks fresh ConvNets (PyTorch's default initialisation) on its images for --epochs epochs of SGD (momentum
0.9, weight decay 5e-4, rate 0.01, a tenth after half, batches of 256), each batch augmented per image by one DSA
transformation drawn per batch (colour, crop, cutout, flip, scale or rotate, the ranges of DSA's ParamDiffAug), and tests
them on MNIST's 10,000 test images, normalised by the training images' mean and deviation as the sample does. Prints each
network's accuracy and their mean and sample standard deviation (n - 1, as the sample reports it), to set beside the sample's figure for the same file.
With --initial-weights FILE (the sample's `evaluate --save-initial-weights FILE`) the networks start from the sample's
own draws, so that without augmentation both engines train the same networks and should end with the same accuracies."""
import argparse
import gzip
import math
import statistics
import struct

import numpy as np
import torch
import torch.nn.functional as F

from convnet import conv_net


def read_payload(path):
    """The payload of a distilled.mldd (format 3: a 20-byte frame, then the payload)."""
    with open(path, "rb") as stream:
        return stream.read()[20:]


def read_distilled(payload):
    """The images [N, C, H, W] and labels of a distilled.mldd's payload."""
    offset = 0

    def ints(count):
        nonlocal offset
        values = struct.unpack_from(f"<{count}i", payload, offset)
        offset += 4 * count
        return values

    rank, = ints(1)
    shape = ints(rank)
    _, steps, epochs, count = ints(4)
    offset += 4 * steps * epochs  # the learning rates: the protocol trains at its own
    labels = ints(count)
    has_soft_labels, = ints(1)
    if has_soft_labels:
        raise SystemExit("soft labels are not supported here")
    images = np.frombuffer(payload, np.float32, count * math.prod(shape), offset).reshape(count, *shape)
    return torch.tensor(images.copy()), torch.tensor(labels)


def read_idx(path, header):
    with gzip.open(path, "rb") as stream:
        return np.frombuffer(stream.read(), np.uint8, offset=header)


def augment(x, generator, siamese=False):
    """One DSA transformation for the batch (the reference's single mode), its values drawn per image, or with siamese
    one set of values for the whole batch: DSA's siamese mode, where the real and the synthetic batch of a class each
    call this with a generator seeded alike and so get the same transformation."""
    n, _, height, width = x.shape
    draws = 1 if siamese else n
    rand = lambda *shape: torch.rand(*shape, generator=generator)
    choice = torch.randint(0, 6, (1,), generator=generator).item()
    if choice == 0:  # colour: brightness, saturation (the identity on one channel), contrast
        x = x + (rand(draws, 1, 1, 1) - 0.5)
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (rand(draws, 1, 1, 1) * 2) + mean
        mean = x.mean(dim=[1, 2, 3], keepdim=True)
        return (x - mean) * (rand(draws, 1, 1, 1) + 0.5) + mean
    if choice == 1:  # crop: a shift by whole pixels of up to round(side / 8), zeros where uncovered
        reach = int(height * 0.125 + 0.5)
        padded = F.pad(x, [reach] * 4)
        shifts = torch.randint(-reach, reach + 1, (draws, 2), generator=generator).expand(n, 2)
        return torch.stack([padded[i, :, reach + dy:reach + dy + height, reach + dx:reach + dx + width] for i, (dy, dx) in enumerate(shifts.tolist())])
    if choice == 2:  # cutout: a zeroed square of half the side, centred anywhere on the image
        box = int(height * 0.5 + 0.5)
        mask = torch.ones_like(x)
        centres = torch.randint(0, height + 1 - box % 2, (draws, 2), generator=generator).expand(n, 2)
        for i, (cy, cx) in enumerate(centres.tolist()):
            mask[i, :, max(cy - box // 2, 0):cy - box // 2 + box, max(cx - box // 2, 0):cx - box // 2 + box] = 0
        return x * mask
    if choice == 3:  # flip, each image (or the batch) with probability 1/2
        return torch.where(rand(draws, 1, 1, 1) < 0.5, x.flip(3), x)
    if choice == 4:  # scale along x and y by factors in [1/1.2, 1.2]
        sx, sy = (rand(draws) * (1.2 - 1 / 1.2) + 1 / 1.2 for _ in range(2))
        zero = torch.zeros(draws)
        theta = torch.stack([torch.stack([sx, zero, zero], 1), torch.stack([zero, sy, zero], 1)], 1)
    else:  # rotate by up to 15 degrees
        angle = (rand(draws) - 0.5) * 2 * 15 / 180 * math.pi
        zero = torch.zeros(draws)
        theta = torch.stack([torch.stack([angle.cos(), -angle.sin(), zero], 1), torch.stack([angle.sin(), angle.cos(), zero], 1)], 1)
    return F.grid_sample(x, F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=False), align_corners=False)


def load_initial_weights(network, path, index):
    """Copies the index-th flat float32 vector of path into the network's parameters, in their order."""
    count = sum(p.numel() for p in network.parameters())
    flat = torch.from_numpy(np.fromfile(path, np.float32, count, offset=4 * count * index).copy())
    if flat.numel() != count:
        raise SystemExit(f"{path} holds fewer than {index + 1} vectors of {count} weights")
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(flat, network.parameters())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--distilled", required=True)
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--networks", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--first-padding", type=int, default=None, help="default: the papers' (3 for one channel)")
    parser.add_argument("--augmentation", choices=["dsa", "none"], default="dsa")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--initial-weights", help="start network i from the i-th flat vector of this file (the sample's evaluate --save-initial-weights) instead of a fresh draw")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    images, labels = read_distilled(read_payload(args.distilled))
    train_pixels = read_idx(f"{args.data}/train-images-idx3-ubyte.gz", 16).astype(np.float64) / 255
    mean, std = train_pixels.mean(), train_pixels.std()
    test_images = (torch.tensor(read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz", 16), dtype=torch.float32).reshape(-1, 1, 28, 28) / 255 - mean) / std
    test_labels = torch.tensor(read_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))

    accuracies = []
    for index in range(args.networks):
        network = conv_net(channels=images.shape[1], side=images.shape[2], first_padding=args.first_padding)
        if args.initial_weights:
            load_initial_weights(network, args.initial_weights, index)
        optimizer = torch.optim.SGD(network.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        for epoch in range(args.epochs):
            if epoch == args.epochs // 2:
                optimizer.param_groups[0]["lr"] = 0.001
            order = torch.randperm(images.shape[0], generator=generator)
            for start in range(0, images.shape[0], 256):
                chosen = order[start:start + 256]
                optimizer.zero_grad()
                batch = augment(images[chosen], generator) if args.augmentation == "dsa" else images[chosen]
                F.cross_entropy(network(batch), labels[chosen]).backward()
                optimizer.step()
        with torch.no_grad():
            correct = sum((network(test_images[s:s + 1000]).argmax(1) == test_labels[s:s + 1000]).sum().item() for s in range(0, len(test_labels), 1000))
        accuracies.append(100 * correct / len(test_labels))
        print(f"  network {index + 1}/{args.networks}: {accuracies[-1]:.2f} %", flush=True)
    print(f"Test accuracy: {statistics.mean(accuracies):.2f} ± {statistics.stdev(accuracies):.2f} % over {args.networks} networks (PyTorch)")


if __name__ == "__main__":
    main()
