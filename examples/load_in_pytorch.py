# The checkpoint mnist_mlp wrote, in PyTorch: the same Sequential, the same state_dict keys, the same
# test accuracy. safetensors is 8 bytes of header length, a JSON header, then the raw arrays.
import gzip, json, os, struct, sys
import numpy as np
import torch

def load_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    arrays = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.float32)
        arrays[key] = torch.from_numpy(raw.reshape(info["shape"]).copy())
    return arrays, header["__metadata__"]

def idx(path):  # an MNIST IDX file (raw, as scripts/setup installs it, or .gz): dimensions, then bytes
    data = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    dims = struct.unpack(">" + "I" * data[3], data[4:4 + 4 * data[3]])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * data[3]).reshape(dims)

state, metadata = load_safetensors("mnist_mlp.safetensors")
net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
net.load_state_dict(state)  # keys 0.weight, 0.bias, 2.weight, 2.bias, as PyTorch names them
mnist = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HEBB_DATA", "/usr/local/share/hebb") + "/mnist"
x = torch.from_numpy(idx(f"{mnist}/t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
y = torch.from_numpy(idx(f"{mnist}/t10k-labels-idx1-ubyte").astype(np.int64))
with torch.no_grad():
    accuracy = (net(x).argmax(1) == y).float().mean().item()
print(f"arch {metadata['arch']}, keys {', '.join(state)}")
print(f"PyTorch test accuracy {100 * accuracy:.1f} %")
