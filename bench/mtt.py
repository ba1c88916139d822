"""PyTorch counterpart of one outer iteration of the sample's matching training trajectories (MTT, --method mtt) on MNIST
at 1 image per class: the papers' ConvNet (width 128, depth 3, instance norm) as the student, started from a stand-in
expert's parameters, N = 50 gradient steps on the augmented synthetic set at a learned step size alpha (0.01), the
normalised distance to the expert's later parameters, and SGD with momentum 0.5 on the synthetic images (rate 1000)
and on alpha (rate 1e-7). Augmentation follows the reference's DSA as the sample uses it here: each step picks one
transformation (colour, crop, cutout, flip, scale or rotate) and draws its values per image. Prints the median seconds
per iteration, to set beside the sample's "Seconds/iteration" at the same thread count."""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

try:
    from torch.func import functional_call
except ImportError:  # PyTorch before 2.0, Debian's 1.13 among them
    from torch.nn.utils.stateless import functional_call

from convnet import conv_net


def per_image_augment(x, generator):
    """One DSA transformation per call, its values drawn for each image (matching.py's siamese_augment shares them)."""
    n, _, height, width = x.shape
    choice = torch.randint(0, 6, (1,), generator=generator).item()
    uniform = lambda *shape: torch.rand(n, *shape, generator=generator)
    if choice == 0:  # colour: brightness, saturation, contrast
        x = x + (uniform(1, 1, 1) - 0.5)
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (uniform(1, 1, 1) * 2) + mean
        mean = x.mean(dim=[1, 2, 3], keepdim=True)
        return (x - mean) * (uniform(1, 1, 1) + 0.5) + mean
    if choice == 2:  # cutout: a zeroed square of half the side around a random centre
        box = round(height * 0.5)
        top, left = (torch.randint(0, side + 1 - box % 2, (n, 1), generator=generator) - box // 2 for side in (height, width))
        rows, columns = torch.arange(height), torch.arange(width)
        inside = (((rows >= top) & (rows < top + box))[:, :, None]) & (((columns >= left) & (columns < left + box))[:, None, :])
        return x * (~inside).unsqueeze(1).to(x.dtype)
    # The rest resample: an affine map per image in grid_sample's [-1, 1] coordinates (align_corners: pixel centres).
    theta = torch.zeros(n, 2, 3)
    if choice == 1:  # crop: a shift of up to 1/8 of the side in whole pixels, zeros where uncovered
        reach = round(height * 0.125)
        shifts = torch.randint(-reach, reach + 1, (n, 2), generator=generator).float()
        theta[:, 0, 0] = theta[:, 1, 1] = 1
        theta[:, 0, 2], theta[:, 1, 2] = shifts[:, 0] * 2 / (width - 1), shifts[:, 1] * 2 / (height - 1)
    elif choice == 3:  # flip left-right with probability 1/2
        theta[:, 0, 0] = torch.where(uniform() < 0.5, -1.0, 1.0)
        theta[:, 1, 1] = 1
    elif choice == 4:  # scale each axis by a factor in [1/1.2, 1.2]
        theta[:, 0, 0], theta[:, 1, 1] = (uniform() * (1.2 - 1 / 1.2) + 1 / 1.2 for _ in range(2))
    else:  # rotate by up to 15 degrees
        angle = (uniform() - 0.5) * 2 * 15 / 180 * math.pi
        theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = angle.cos(), -angle.sin(), angle.sin(), angle.cos()
    grid = F.affine_grid(theta, list(x.shape), align_corners=True)
    return F.grid_sample(x, grid, align_corners=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--syn-steps", type=int, default=50, help="N: the student's steps on the synthetic set")
    parser.add_argument("--images-per-class", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    classes = 10
    network = conv_net()
    names = [name for name, _ in network.named_parameters()]
    shapes = [p.shape for p in network.parameters()]

    def unflatten(flat):
        return dict(zip(names, (piece.view(shape) for piece, shape in zip(flat.split([s.numel() for s in shapes]), shapes))))

    # A stand-in expert: a fresh initialisation and a nearby point (the cost does not depend on the values).
    theta_start = torch.cat([p.detach().reshape(-1) for p in network.parameters()])
    theta_target = theta_start + 0.01 * torch.randn_like(theta_start)
    synthetic = torch.randn(classes * args.images_per_class, 1, 28, 28, requires_grad=True)
    labels = torch.arange(classes).repeat_interleave(args.images_per_class)
    alpha = torch.tensor(0.01, requires_grad=True)
    image_optimizer = torch.optim.SGD([synthetic], lr=1000, momentum=0.5)
    alpha_optimizer = torch.optim.SGD([alpha], lr=1e-7, momentum=0.5)
    times = []
    for iteration in range(args.iterations + 1):
        start = time.perf_counter()
        theta = theta_start.clone().requires_grad_(True)
        for _ in range(args.syn_steps):
            logits = functional_call(network, unflatten(theta), (per_image_augment(synthetic, generator),))
            gradient = torch.autograd.grad(F.cross_entropy(logits, labels), theta, create_graph=True)[0]
            theta = theta - alpha * gradient
        loss = torch.sum((theta - theta_target) ** 2) / torch.sum((theta_start - theta_target) ** 2)
        image_optimizer.zero_grad()
        alpha_optimizer.zero_grad()
        loss.backward()
        image_optimizer.step()
        alpha_optimizer.step()
        if iteration >= 1:  # the first iteration warms up allocators and kernels
            times.append(time.perf_counter() - start)
    print(f"MTT outer iteration, {args.images_per_class} image(s) per class, {args.syn_steps} student steps, {args.threads} thread(s): "
          f"median {statistics.median(times):.3f} s over {args.iterations} iterations")


if __name__ == "__main__":
    main()
