#!/usr/bin/python3
"""Loads a hebb LeNet-5 checkpoint into PyTorch's nn.Sequential with load_state_dict(strict=True) and
prints its MNIST test accuracy, to compare with `hebb eval --data mnist --model CKPT`.

Usage: /usr/bin/python3 scripts/lenet5_in_pytorch.py CKPT   (Debian's python3-torch; MNIST from scripts/setup)
"""
import json
import os
import struct
import sys

import numpy as np
import torch


def load_safetensors(path):
    """{name: tensor} of a safetensors file's F32 arrays (hebb writes only F32)."""
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    return {k: torch.from_numpy(np.frombuffer(data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                                              dtype="<f4").reshape(v["shape"]).copy())
            for k, v in header.items() if not k.startswith("optim.")}

net = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                          torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                          torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
                          torch.nn.Linear(84, 10))
print(net.load_state_dict(load_safetensors(sys.argv[1]), strict=True))
MNIST = os.path.join(os.environ.get("HEBB_DATA", "/usr/local/share/hebb"), "mnist")
images = np.fromfile(os.path.join(MNIST, "t10k-images-idx3-ubyte"), dtype=np.uint8)[16:].reshape(-1, 1, 28, 28)
labels = np.fromfile(os.path.join(MNIST, "t10k-labels-idx1-ubyte"), dtype=np.uint8)[8:]
with torch.no_grad():
    pred = net(torch.from_numpy(images.astype(np.float32) / 255)).argmax(1).numpy()
print("PyTorch test accuracy", (pred == labels).mean())
