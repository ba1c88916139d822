"""PyTorch counterpart of the sample's distribution matching (`--method dm`), written after the reference's main_DM.py, to
set its images beside the sample's at the same budget: starting from the images of a sample's distilled.mldd (with
`--iterations 0` the random real images a run starts from), every iteration draws a fresh ConvNet of the papers' layout
(PyTorch's default initialisation), 256 random training images of every class and, per class, one DSA transformation
shared by the real and the synthetic batch, and takes one SGD step (rate 1, momentum 0.5) on the synthetic images down
sum_c || mean embedding of the real batch - mean embedding of the synthetic images ||^2.
Writes the result as a distilled.mldd (the start file's fields, the images replaced) every --save-every iterations and
at the end, for the sample's `evaluate --distilled FILE` or evaluate.py; prints the loss averaged over each 50 iterations."""
import argparse
import os
import struct
import time
import zlib

import numpy as np
import torch

from convnet import conv_net
from evaluate import augment, read_distilled, read_idx, read_payload


def write_distilled(start_payload, images, path):
    """The start file's payload with its images replaced, framed as format 3 (magic, version, payload length, CRC-32 of
    both and the payload), written to a temporary name and moved into place."""
    pixels = images.detach().numpy().astype("<f4").tobytes()
    payload = start_payload[:len(start_payload) - len(pixels)] + pixels
    header = b"MLDD" + struct.pack("<iq", 3, len(payload))
    with open(path + ".tmp", "wb") as stream:
        stream.write(header + struct.pack("<I", zlib.crc32(header + payload)) + payload)
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", required=True, help="a sample's distilled.mldd whose images the run starts from")
    parser.add_argument("--out", required=True, help="the distilled.mldd to write")
    parser.add_argument("--data", default="../data/mnist")
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--batch", type=int, default=256, help="real images per class")
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    numpy_random = np.random.default_rng(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    start_payload = read_payload(args.start)  # every save reuses its fields
    images, labels = read_distilled(start_payload)
    classes = int(labels.max()) + 1
    if not torch.equal(labels, torch.arange(classes).repeat_interleave(len(labels) // classes)):
        raise SystemExit(f"{args.start}: expected the same number of images of every class, in class order")
    per_class = len(labels) // classes
    synthetic = images.clone().requires_grad_(True)
    pixels = read_idx(f"{args.data}/train-images-idx3-ubyte.gz", 16).astype(np.float64) / 255
    mean, std = pixels.mean(), pixels.std()
    real = torch.tensor((pixels.reshape(-1, *images.shape[1:]) - mean) / std, dtype=torch.float32)
    real_labels = read_idx(f"{args.data}/train-labels-idx1-ubyte.gz", 8)
    indices = [np.flatnonzero(real_labels == c) for c in range(classes)]

    optimizer = torch.optim.SGD([synthetic], lr=args.lr, momentum=0.5)
    losses, started = [], time.perf_counter()
    for iteration in range(1, args.iterations + 1):
        network = conv_net(channels=images.shape[1], side=images.shape[2])
        embed = network[:-1]  # every layer but the classifier
        for parameter in network.parameters():
            parameter.requires_grad_(False)
        loss = 0
        for c in range(classes):
            seed = torch.randint(0, 2 ** 31, (1,), generator=generator).item()
            batch = real[numpy_random.permutation(indices[c])[:args.batch]]
            real_mean = embed(augment(batch, torch.Generator().manual_seed(seed), siamese=True)).mean(0)
            own = synthetic[c * per_class:(c + 1) * per_class]
            synthetic_mean = embed(augment(own, torch.Generator().manual_seed(seed), siamese=True)).mean(0)
            loss = loss + torch.sum((real_mean - synthetic_mean) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if iteration % 50 == 0:
            print(f"iterations {iteration - 49}-{iteration}: mean loss {np.mean(losses[-50:]):.2f}, "
                  f"{(time.perf_counter() - started) / iteration:.2f} s per iteration", flush=True)
        if iteration % args.save_every == 0 or iteration == args.iterations:
            write_distilled(start_payload, synthetic, args.out)


if __name__ == "__main__":
    main()
